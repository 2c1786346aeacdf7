package dev.strata.volume;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.github.luben.zstd.ZstdOutputStream;
import dev.strata.host.HostDir;
import dev.strata.host.HostPaths;
import dev.strata.host.Names;
import dev.strata.host.Stat;
import dev.strata.layer.TarBuilder;
import dev.strata.layer.TarPeers;
import dev.strata.layer.UnsafeLayerException;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;

/**
 * A volume's backup and restore, GNU tar the oracle: what export writes GNU tar finds equal to
 * the volume ({@code tar --compare --xattrs}), and what import makes of it GNU tar finds equal
 * too, owners, modes, nanosecond times, xattrs, hard links, symlinks, a fifo, a device and a
 * name that is not UTF-8 included; hostile and torn archives leave no volume and write nothing
 * outside it.
 */
class VolumeArchiveTest extends VolumeStoreTest {
  private static final String NOT_UTF8 = Names.decode(new byte[] {'n', (byte) 0xff, (byte) 0xc3, 'x'});
  private static final byte[] BINARY = {0, (byte) 0xff, 'x', '\n', (byte) 0x80};
  private static final long NANOS = 1_700_000_000_123_456_789L;

  @Test
  void exportIsWhatGnuTarComparesEqualAndImportRestoresItExactly() throws Exception {
    Volume source = volumes.create("source", Map.of());
    fill(source.data());
    Path backup = dir.resolve("backup.tar");
    volumes.export("source", backup);
    assertThat(compare(backup, source.data())).as("the backup against its volume").isEqualTo("");

    Volume copy = volumes.importFrom(Files.newInputStream(backup), "copy", Map.of("from", "backup"));
    assertThat(copy.labels()).containsEntry("from", "backup");
    assertThat(compare(backup, copy.data())).as("the restored volume against the backup").isEqualTo("");
    assertThat(exported("copy")).as("the restored volume exports the same bytes").isEqualTo(Files.readAllBytes(backup));

    try (HostDir d = HostDir.open(copy.data())) {
      Stat file = d.stat("d/setuid");
      assertThat(file.mtimeNanos()).isEqualTo(NANOS);
      assertThat(file.mode() & 07777).isEqualTo(04750);
      assertThat(file.uid()).isEqualTo(1001);
      assertThat(file.gid()).isEqualTo(1002);
      assertThat(d.getxattr("d/setuid", "user.binary")).isEqualTo(BINARY);
      assertThat(d.stat("d/second-name").ino()).as("a hard link is one file").isEqualTo(file.ino());
      assertThat(d.readlink("escaping")).isEqualTo("../../../etc/passwd");
      assertThat(d.stat("fifo").type()).isEqualTo(Stat.S_IFIFO);
      assertThat(d.stat("null").rdevMinor()).isEqualTo(3);
      assertThat(Files.readString(copy.data().resolve(".wh.plain"))).as("a .wh. name is data here").isEqualTo("w");
      assertThat(d.stat(NOT_UTF8 + "/" + "n".repeat(120)).size()).isEqualTo(2);
      assertThat(d.stat("").mode() & 07777).isEqualTo(0711);
    }

    // The oracle sees a change of one nanosecond: the comparisons above are worth something.
    HostPaths.utimens(copy.data().resolve("d/setuid"), NANOS + 1, NANOS + 1);
    assertThat(compare(backup, copy.data())).contains("Mod time differs");
    HostPaths.utimens(copy.data().resolve("d/setuid"), NANOS, NANOS);

    // GNU tar 1.34 compares no xattrs: GNU tar's extraction of the backup is the oracle for them.
    Path gnu = Files.createDirectory(dir.resolve("gnu"));
    TarPeers.ok(gnu, "tar", "--xattrs", "--xattrs-include=*", "-xpf", backup.toString());
    assertThat(xattrs(copy.data())).contains("user.binary=0x00ff780a80").isEqualTo(xattrs(gnu));
    HostPaths.setxattr(copy.data().resolve("d/setuid"), "user.binary", new byte[] {1});
    assertThat(xattrs(copy.data())).isNotEqualTo(xattrs(gnu));
  }

  @Test
  void gzipAndZstdBackupsAreReadByTheirFirstBytes() throws Exception {
    Volume source = volumes.create("source", Map.of());
    fill(source.data());
    byte[] tar = exported("source");
    ByteArrayOutputStream gzip = new ByteArrayOutputStream();
    try (OutputStream out = new GZIPOutputStream(gzip)) {
      out.write(tar);
    }
    ByteArrayOutputStream zstd = new ByteArrayOutputStream();
    try (OutputStream out = new ZstdOutputStream(zstd)) {
      out.write(tar);
    }
    volumes.importFrom(new ByteArrayInputStream(gzip.toByteArray()), "gz", Map.of());
    volumes.importFrom(new ByteArrayInputStream(zstd.toByteArray()), "zst", Map.of());
    assertThat(exported("gz")).isEqualTo(tar);
    assertThat(exported("zst")).isEqualTo(tar);
  }

  @Test
  void hostileArchivesAreRefusedNamingTheEntryAndWriteNothingOutside() throws Exception {
    Path outside = Files.createDirectory(dir.resolve("outside"));
    Files.writeString(outside.resolve("secret"), "s");
    String out = outside.toString();
    List<Object[]> cases = List.of(
        new Object[] {new TarBuilder().dir("a").file("../escaped", "x"), "entry '../escaped': path contains '..'"},
        new Object[] {new TarBuilder().file("a/../../escaped", "x"), "entry 'a/../../escaped': path contains '..'"},
        new Object[] {new TarBuilder().file(out + "/abs", "x"), "entry '" + out + "/abs': absolute path"},
        new Object[] {new TarBuilder().symlink("link", out).file("link/through", "x"),
            "entry 'link/through': it goes through 'link', which the archive made as no directory"},
        new Object[] {new TarBuilder().symlink("link", out).dir("link/sub"),
            "entry 'link/sub/': it goes through 'link'"},
        new Object[] {new TarBuilder().symlink("link", out).hardlink("h", "link/secret"),
            "entry 'h': a hard link to 'link/secret', which is no file an earlier entry of the archive made"},
        new Object[] {new TarBuilder().hardlink("h", "../outside/secret"), "hard link target '../outside/secret'"},
        new Object[] {new TarBuilder().file("f", "1").file("f", "2"), "entry 'f': a second entry of the same name"});
    int i = 0;
    for (Object[] c : cases) {
      String name = "hostile" + i++;
      byte[] tar = ((TarBuilder) c[0]).toBytes();
      assertThatThrownBy(() -> volumes.importFrom(new ByteArrayInputStream(tar), name, Map.of()))
          .isInstanceOf(UnsafeLayerException.class).hasMessageContaining((String) c[1]);
      assertThat(volumes.get(name)).isEmpty();
    }
    try (Stream<Path> left = Files.list(outside)) {
      assertThat(left).extracting(p -> p.getFileName().toString()).containsExactly("secret");
    }
    assertThat(outside.resolve("secret")).hasContent("s");
    assertThat(dir.resolve("escaped")).doesNotExist();
    assertThat(store.root().resolve("escaped")).doesNotExist();
    assertThat(volumes.list()).isEmpty();
    assertThat(staged()).as("every refused volume's staging removed").isEmpty();
  }

  @Test
  void aTornArchiveLeavesNoVolume() throws Exception {
    Volume source = volumes.create("source", Map.of());
    Files.write(source.data().resolve("big"), new byte[100_000]);
    Files.writeString(source.data().resolve("small"), "s");
    byte[] tar = exported("source");
    for (int cut : new int[] {512 + 40_000, tar.length - 1024 - 600, 100}) {
      byte[] torn = Arrays.copyOf(tar, cut);
      assertThatThrownBy(() -> volumes.importFrom(new ByteArrayInputStream(torn), "torn", Map.of()))
          .as("cut at %d", cut).isInstanceOf(IOException.class).hasMessageContaining("truncated");
      assertThat(volumes.get("torn")).isEmpty();
      assertThat(store.root().resolve("volumes/torn")).doesNotExist();
    }
    assertThat(staged()).isEmpty();
  }

  @Test
  void importRefusesAnExistingNameAndExportToAFileIsAllOrNothing() throws Exception {
    Volume source = volumes.create("source", Map.of());
    Files.writeString(source.data().resolve("f"), "new");
    byte[] tar = exported("source");
    assertThatThrownBy(() -> volumes.importFrom(new ByteArrayInputStream(tar), "source", Map.of()))
        .hasMessage("volume 'source' already exists");

    Path file = dir.resolve("out.tar");
    Files.writeString(file, "old");
    assertThatThrownBy(() -> volumes.export("missing", file)).hasMessage("no volume named 'missing'");
    assertThat(file).as("a failed export leaves the old file").hasContent("old");
    volumes.export("source", file);
    assertThat(Files.readAllBytes(file)).isEqualTo(exported("source"));
    try (Stream<Path> beside = Files.list(dir)) {
      assertThat(beside).extracting(p -> p.getFileName().toString()).as("no temp file left beside")
          .containsExactlyInAnyOrder("store", "out.tar");
    }
  }

  @Test
  void anExportWhoseVolumeWentWhileItWasReadWritesNoEndOfArchive() throws Exception {
    Volume v = volumes.create("v", Map.of());
    Files.write(v.data().resolve("f"), new byte[30_000]);
    byte[] whole = exported("v");
    ByteArrayOutputStream cut = new ByteArrayOutputStream();
    assertThatThrownBy(() -> VolumeExport.write(v.data(), cut, () -> {
      throw new IOException("volume 'v' was removed while it was exported");
    })).hasMessage("volume 'v' was removed while it was exported");
    assertThat(cut.size()).isLessThan(whole.length);
    assertThat(Arrays.copyOf(whole, cut.size())).isEqualTo(cut.toByteArray());

    Path file = Files.writeString(dir.resolve("old.tar"), "old");
    volumes.remove("v", false);
    assertThatThrownBy(() -> volumes.export("v", file)).hasMessage("no volume named 'v'");
    assertThat(file).hasContent("old");
  }

  @Test
  void initializeCopiesATreeAsExportAndImportKeepItOnceAndNeverRefillsAnEmptiedVolume() throws Exception {
    Volume source = volumes.create("source", Map.of());
    fill(source.data());
    volumes.create("first", Map.of());
    assertThat(volumes.initialize("first", source.data(), 0, 0)).isTrue();
    // The same bytes exported: every owner, mode, nanosecond time, xattr, link and name kept.
    assertThat(exported("first")).isEqualTo(exported("source"));
    assertThat(xattrs(volumes.require("first").data())).contains("user.binary").isEqualTo(xattrs(source.data()));

    assertThat(volumes.initialize("first", source.data(), 0, 0)).as("once").isFalse();
    Trees.deleteContents(volumes.require("first").data());
    assertThat(volumes.initialize("first", source.data(), 0, 0)).as("emptied by its user").isFalse();
    assertThat(volumes.require("first").data()).isEmptyDirectory();

    // Nothing to copy: the data directory is given to the container's user.
    volumes.create("bare", Map.of());
    assertThat(volumes.initialize("bare", null, 4321, 8765)).isTrue();
    Stat bare = HostPaths.stat(volumes.require("bare").data());
    assertThat(bare.uid()).isEqualTo(4321);
    assertThat(bare.gid()).isEqualTo(8765);
  }

  @Test
  void aCopyThatFailsLeavesTheVolumeEmptyAndNotInitialized() throws Exception {
    Volume source = volumes.create("source", Map.of());
    fill(source.data());
    volumes.create("v", Map.of());
    Path notADirectory = source.data().resolve("d/setuid");
    assertThatThrownBy(() -> volumes.initialize("v", notADirectory, 0, 0)).isInstanceOf(IOException.class)
        .hasMessageContaining("copying " + notADirectory);
    assertThat(volumes.require("v").data()).isEmptyDirectory();
    assertThat(volumes.initialize("v", source.data(), 0, 0)).as("not marked: the next run fills it").isTrue();
    assertThat(exported("v")).isEqualTo(exported("source"));
  }

  /** What {@code tar --compare --xattrs} says of {@code tar} against {@code dir}: "" if equal. */
  private String compare(Path tar, Path dir) throws Exception {
    TarPeers.Output o = TarPeers.run(dir, "tar", "--compare", "--xattrs", "--xattrs-include=*", "-f", tar.toString(),
        "-C", dir.toString());
    // GNU tar names the PAX mark of names that are not UTF-8 as unknown, and reads them right.
    String said = (Names.printable(Names.decode(o.out())) + o.err())
        .replace("tar: Ignoring unknown extended header keyword 'hdrcharset'", "").replace("\\n", " ").trim();
    assertThat(o.exit() == 0).as("exit %d: %s", o.exit(), said).isEqualTo(said.isEmpty());
    return said;
  }

  /** Every xattr of every file below {@code dir} as getfattr dumps them, in hex, file by file in name order. */
  private static String xattrs(Path dir) throws Exception {
    String dump = new String(TarPeers.ok(dir, "getfattr", "-R", "-h", "-d", "-m", "-", "-e", "hex", "."),
        java.nio.charset.StandardCharsets.ISO_8859_1);
    return Arrays.stream(dump.split("\n\n")).map(String::strip).filter(b -> !b.isEmpty()).sorted()
        .collect(java.util.stream.Collectors.joining("\n\n"));
  }

  /** A volume's worth of what a tar must keep exactly. */
  private static void fill(Path data) throws IOException {
    try (HostDir d = HostDir.open(data)) {
      d.mkdir("d", 0750);
      d.createFile("d/setuid", 0600);
      Files.writeString(data.resolve("d/setuid"), "content");
      d.chown("d/setuid", 1001, 1002);
      d.chmod("d/setuid", 04750);
      d.setxattr("d/setuid", "user.binary", BINARY, 0);
      d.link("d/setuid", d, "d/second-name");
      d.utimens("d/setuid", NANOS, NANOS);
      d.chown("d", 1234, 5678);
      d.symlink("../../../etc/passwd", "escaping");
      d.chown("escaping", 7, 8);
      d.utimens("escaping", NANOS - 5, NANOS - 5);
      d.mknod("fifo", Stat.S_IFIFO | 0640, 0, 0);
      d.mknod("null", Stat.S_IFCHR | 0666, 1, 3);
      d.createFile(".wh.plain", 0644);
      Files.writeString(data.resolve(".wh.plain"), "w");
      d.mkdir(NOT_UTF8, 0700);
      d.createFile(NOT_UTF8 + "/" + "n".repeat(120), 0644);
      try (var f = d.open(NOT_UTF8 + "/" + "n".repeat(120), dev.strata.host.HostFile.O_WRONLY, 0)) {
        f.write(0, java.nio.ByteBuffer.wrap(new byte[] {'h', 'i'}));
      }
      d.mkdir("empty", 0555);
      d.utimens("empty", NANOS + 7, NANOS + 7);
      d.utimens(NOT_UTF8, NANOS + 9, NANOS + 9);
      d.utimens("d", NANOS + 11, NANOS + 11);
      d.chmod("", 0711);
      d.utimens("", NANOS + 13, NANOS + 13);
    }
  }
}
