package dev.strata.host;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

class NamesTest {
  @Property(tries = 3000)
  void everyByteSequenceRoundTrips(@ForAll("bytes") byte[] bytes) {
    String name = Names.decode(bytes);
    assertThat(Names.encode(name)).isEqualTo(bytes);
    assertThat(Names.length(name)).isEqualTo(bytes.length);
  }

  @Property(tries = 2000)
  void validUtf8ReadsAsTheJdkReadsIt(@ForAll("utf8") byte[] bytes) throws CharacterCodingException {
    String strict = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
        .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
    assertThat(Names.decode(bytes)).isEqualTo(strict);
    assertThat(Names.isUtf8(strict)).isTrue();
  }

  @Property(tries = 3000)
  void byteOrderIsTheOrderOfTheBytes(@ForAll("bytes") byte[] a, @ForAll("bytes") byte[] b) {
    assertThat(Integer.signum(Names.compare(Names.decode(a), Names.decode(b))))
        .isEqualTo(Integer.signum(Arrays.compareUnsigned(a, b)));
  }

  @Test
  void byteOrderIsNotTheStringOrder() {
    String escaped = Names.decode(new byte[] {(byte) 0x80}); // U+DC80, byte 0x80
    String han = "\u4e2d"; // E4 B8 AD
    String emoji = "\ud83d\ude00"; // F0 9F 98 80
    assertThat(Names.compare(escaped, han)).isNegative();
    assertThat(escaped.compareTo(han)).isPositive();
    assertThat(Names.compare("\ufffd", emoji)).isNegative();
    assertThat("\ufffd".compareTo(emoji)).isPositive();
    // A byte that is not UTF-8 against a character whose first byte it is: the next bytes decide.
    assertThat(Names.compare(Names.decode(new byte[] {(byte) 0xc3}), "ü")).isNegative(); // C3 < C3 BC
    assertThat(Names.compare(Names.decode(new byte[] {(byte) 0xc3, 'A'}), "ü")).isNegative();
    assertThat(Names.compare(Names.decode(new byte[] {(byte) 0xc3, (byte) 0xff}), "ü")).isPositive();
  }

  @Property(tries = 2000)
  void printableNamesOfDifferentBytesDiffer(@ForAll("bytes") byte[] a, @ForAll("bytes") byte[] b) {
    if (!Arrays.equals(a, b)) {
      assertThat(Names.printable(Names.decode(a))).isNotEqualTo(Names.printable(Names.decode(b)));
      assertThat(Names.printable(Names.decode(a), StandardCharsets.US_ASCII))
          .isNotEqualTo(Names.printable(Names.decode(b), StandardCharsets.US_ASCII));
    }
  }

  @Test
  void invalidBytesAreEscapedOneEach() {
    byte[] latin1 = {'f', (byte) 0xfc, 'r'}; // "für" in ISO-8859-1
    String name = Names.decode(latin1);
    assertThat(name).isEqualTo("f\udcfcr");
    assertThat(Names.isUtf8(name)).isFalse();
    // Overlong, surrogate and truncated sequences are not UTF-8 either.
    assertThat(Names.decode(new byte[] {(byte) 0xc0, (byte) 0xaf})).isEqualTo("\udcc0\udcaf");
    assertThat(Names.decode(new byte[] {(byte) 0xed, (byte) 0xb2, (byte) 0x80})).isEqualTo("\udced\udcb2\udc80");
    assertThat(Names.decode(new byte[] {(byte) 0xe2, (byte) 0x82})).isEqualTo("\udce2\udc82");
    assertThat(Names.decode("ü€😀".getBytes(StandardCharsets.UTF_8))).isEqualTo("ü€😀");
    // U+10080 is the pair D800 DC80: its low half is in the escape range, yet it escapes nothing.
    String pair = new String(Character.toChars(0x10080));
    assertThat(Names.isUtf8(pair)).isTrue();
    assertThat(Names.encode(pair)).isEqualTo(pair.getBytes(StandardCharsets.UTF_8));
    assertThat(Names.printable(pair)).isEqualTo(Names.printable(Names.decode(pair.getBytes(StandardCharsets.UTF_8))));
  }

  @Test
  void aSurrogateThatNoBytesMadeIsRefused() {
    assertThatThrownBy(() -> Names.encode("a\ud800b")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Names.encode("a\udc41")).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void printableEscapesAsGnuTarDoes() {
    assertThat(Names.printable("plain name.txt")).isEqualTo("plain name.txt");
    assertThat(Names.printable("a\\b")).isEqualTo("a\\\\b");
    assertThat(Names.printable("line\nbreak\ttab")).isEqualTo("line\\nbreak\\ttab");
    assertThat(Names.printable(Names.decode(new byte[] {'x', (byte) 0xff}))).isEqualTo("x\\377");
    assertThat(Names.printable("ü")).isEqualTo("ü");
    // In the C locale GNU tar shows every byte of a non-ASCII character in octal.
    assertThat(Names.printable("ü", StandardCharsets.US_ASCII)).isEqualTo("\\303\\274");
    assertThat(Names.printable("\u202egnp.exe")).isEqualTo("\\342\\200\\256gnp.exe"); // right-to-left override
  }

  @Provide
  Arbitrary<byte[]> bytes() {
    // Weighted towards the bytes UTF-8 is made of, so that valid and broken sequences mix.
    Arbitrary<Byte> b = Arbitraries.frequencyOf(
        net.jqwik.api.Tuple.of(3, Arbitraries.bytes().between((byte) 'a', (byte) 'z')),
        net.jqwik.api.Tuple.of(3, Arbitraries.bytes().between((byte) 0x80, (byte) 0xbf)),
        net.jqwik.api.Tuple.of(2, Arbitraries.bytes().between((byte) 0xc0, (byte) 0xff)),
        net.jqwik.api.Tuple.of(1, Arbitraries.bytes()));
    return b.array(byte[].class).ofMaxSize(24);
  }

  @Provide
  Arbitrary<byte[]> utf8() {
    return Arbitraries.strings().all().ofMaxLength(16)
        .filter(s -> s.codePoints().noneMatch(cp -> cp >= 0xd800 && cp <= 0xdfff))
        .map(s -> s.getBytes(StandardCharsets.UTF_8));
  }
}
