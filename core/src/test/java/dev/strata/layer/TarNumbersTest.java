package dev.strata.layer;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Header numbers and PAX values as every reader reads them alike, and the reasons for the rest. */
class TarNumbersTest {
  @ParameterizedTest(name = "''{0}'' is {1}")
  @CsvSource(delimiter = '|', ignoreLeadingAndTrailingWhitespace = false, value = {
      "0000644\\0|420", "   644 \\0|420", "00000644|420", "644\\0\\0\\0\\0\\0|420", "       \\0|0", "\\0\\0\\0\\0\\0\\0\\0\\0|0",
      "7777777\\0|2097151"})
  void readsOctalAsGnuTarReadsIt(String field, long value) throws Exception {
    assertThat(TarNumbers.field(bytes(field), 0, 8)).isEqualTo(value);
  }

  @ParameterizedTest(name = "''{0}'': {1}")
  @CsvSource(delimiter = '|', ignoreLeadingAndTrailingWhitespace = false, value = {
      "0000648\\0|an octal number with the digit '8'", "644\\0abc\\0|not an octal number (more after its end)",
      "00 00644|not an octal number (more after its end)", "        |blanks where a number belongs",
      "abc\\0\\0\\0\\0\\0|not an octal number"})
  void refusesWhatReadersReadApart(String field, String reason) {
    assertThatThrownBy(() -> TarNumbers.field(bytes(field), 0, 8)).hasMessage(reason);
  }

  @Test
  void readsBase256BothWays() throws Exception {
    byte[] positive = {(byte) 0x80, 0, 0, 0, 0, 0, 0, 0, (byte) 0xb2, (byte) 0xd0, 0x5e, 0x00};
    assertThat(TarNumbers.field(positive, 0, 12)).isEqualTo(3_000_000_000L);
    byte[] minusOne = {(byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff,
        (byte) 0xff};
    assertThat(TarNumbers.field(minusOne, 0, 8)).isEqualTo(-1);
    byte[] tooBig = {(byte) 0x80, 0, 0, (byte) 0x80, 0, 0, 0, 0, 0, 0, 0, 0};
    assertThatThrownBy(() -> TarNumbers.field(tooBig, 0, 12)).hasMessage("a base-256 number beyond 64 bits");
    byte[] otherMarker = {(byte) 0x81, 0, 0, 0, 0, 0, 0, 1};
    assertThatThrownBy(() -> TarNumbers.field(otherMarker, 0, 8)).hasMessageContaining("0x81, neither 0x80 nor 0xff");
  }

  @Test
  void readsPaxValues() throws Exception {
    assertThat(TarNumbers.decimal(bytes("4294967295"), TarNumbers.MAX_ID)).isEqualTo(TarNumbers.MAX_ID);
    assertThatThrownBy(() -> TarNumbers.decimal(bytes("4294967296"), TarNumbers.MAX_ID))
        .hasMessage("a number past 4294967295");
    assertThatThrownBy(() -> TarNumbers.decimal(bytes("-5"), TarNumbers.MAX_ID)).hasMessage("a negative number");
    assertThatThrownBy(() -> TarNumbers.decimal(bytes(""), Long.MAX_VALUE)).hasMessage("an empty value");
    assertThat(TarNumbers.time(bytes("1234567890.25"))).containsExactly(1234567890L, 250_000_000L);
    assertThat(TarNumbers.time(bytes("-1.5"))).containsExactly(-2L, 500_000_000L);
    assertThat(TarNumbers.time(bytes("7.1234567891"))).containsExactly(7L, 123_456_789L);
    assertThatThrownBy(() -> TarNumbers.time(bytes("1."))).hasMessageContaining("SECONDS[.FRACTION]");
  }

  /** The bytes of {@code text}, each "\0" in it a NUL. */
  private static byte[] bytes(String text) {
    return text.replace("\\0", "\0").getBytes(ISO_8859_1);
  }
}
