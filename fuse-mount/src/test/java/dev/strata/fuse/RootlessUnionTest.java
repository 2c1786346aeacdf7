package dev.strata.fuse;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.strata.host.Errno;
import dev.strata.host.ErrnoException;
import dev.strata.layer.EntryKind;
import dev.strata.layer.IngestLimits;
import dev.strata.layer.LayerEntry;
import dev.strata.layer.LayerIngest;
import dev.strata.layer.LowerFiles;
import dev.strata.union.Attr;
import dev.strata.union.Changeset;
import dev.strata.union.Ctx;
import dev.strata.union.FileType;
import dev.strata.union.HostDirLayer;
import dev.strata.union.SetAttr;
import dev.strata.union.UnionFs;
import dev.strata.union.UnionOptions;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A union whose host cannot chown or mknod (rootless): owners, modes and device types live in
 * the {@code user.containers.override_stat} xattr of the upper files, as fuse-overlayfs and
 * containers/storage keep them, and the union shows them as if the host had them.
 */
class RootlessUnionTest {
  @TempDir Path dir;
  private final TestHost nativeHost = TestHost.ofProcess();
  private UnionFs fs;
  private Path upper;

  @BeforeEach
  void open() throws IOException {
    Path lower = Files.createDirectories(dir.resolve("lower"));
    Files.writeString(Files.createDirectories(lower.resolve("d")).resolve("f"), "in a lower directory\n");
    Files.writeString(lower.resolve("theirs"), "owned by 1000\n");
    nativeHost.lchown(lower.resolve("theirs"), 1000, 1000);
    nativeHost.chmod(lower.resolve("theirs"), 0640);
    upper = Files.createDirectories(dir.resolve("upper"));
    TestHost host = TestHost.rootless();
    fs = UnionFs.open(List.of(HostDirLayer.open(lower)), upper, Files.createDirectories(dir.resolve("work")),
        UnionOptions.defaults(host.privileges()));
  }

  private String override(String path) throws IOException {
    byte[] v = nativeHost.getxattr(upper.resolve(path), "user.containers.override_stat");
    return v == null ? null : new String(v, StandardCharsets.US_ASCII);
  }

  private int hostMode(String path) throws IOException {
    return (Integer) Files.readAttributes(upper.resolve(path), "unix:mode", LinkOption.NOFOLLOW_LINKS).get("mode");
  }

  @Test
  void aNewFileKeepsItsCreatorsOwnerInTheOverride() throws IOException {
    long[] created = fs.create(UnionFs.ROOT, "mine", 0644, 1, new Ctx(1000, 1001));
    fs.release(created[1]);
    Attr a = fs.getattr(created[0]);
    assertThat(a.uid()).isEqualTo(1000);
    assertThat(a.gid()).isEqualTo(1001);
    assertThat(override("mine")).isEqualTo("1000:1001:0644:file");
    assertThat(Files.getAttribute(upper.resolve("mine"), "unix:uid")).as("the host file stays the user's").isEqualTo(0);
  }

  @Test
  void chmodAndChownChangeTheOverrideAndLeaveTheFileUsable() throws IOException {
    long node = fs.mknod(UnionFs.ROOT, "tool", FileType.REGULAR.modeBits() | 0755, 0, 0, Ctx.ROOT);
    fs.setattr(node, SetAttr.owner(2000, 3000));
    Attr a = fs.setattr(node, SetAttr.mode(04711));
    assertThat(a.mode() & 07777).isEqualTo(04711);
    assertThat(a.uid()).isEqualTo(2000);
    assertThat(a.gid()).isEqualTo(3000);
    assertThat(override("tool")).isEqualTo("2000:3000:4711:file");
    assertThat(hostMode("tool") & 04000).as("no real setuid bit on the host").isZero();
    assertThat(hostMode("tool") & 0600).as("the user can still read and write it").isEqualTo(0600);
  }

  @Test
  void deviceNodesBecomeFilesThatSayTheirType() throws IOException {
    long node = fs.mknod(UnionFs.ROOT, "null", FileType.CHAR_DEVICE.modeBits() | 0666, 1, 3, Ctx.ROOT);
    Attr a = fs.getattr(node);
    assertThat(a.type()).isEqualTo(FileType.CHAR_DEVICE);
    assertThat(a.rdevMajor()).isEqualTo(1);
    assertThat(a.rdevMinor()).isEqualTo(3);
    assertThat(hostMode("null") & 0170000).isEqualTo(0100000);
    assertThat(override("null")).isEqualTo("0:0:0666:char-1-3");
    long fifo = fs.mknod(UnionFs.ROOT, "pipe", FileType.FIFO.modeBits() | 0600, 0, 0, Ctx.ROOT);
    assertThat(fs.getattr(fifo).type()).isEqualTo(FileType.FIFO);
  }

  /**
   * The kernel's userxattr format has no redirects and no metadata-only copies (the kernel
   * refuses userxattr with redirect_dir=on or metacopy=on, and a redirect it finds): renaming a
   * lower directory answers EXDEV, as the kernel and fuse-overlayfs do (mv then copies), and a
   * chmod copies the data up with the file, so the kernel reads this upper as Strata shows it.
   */
  @Test
  void theUpperHasNoRedirectsAndNoMetadataOnlyCopies() throws IOException {
    long d = fs.lookup(UnionFs.ROOT, "d");
    assertThatThrownBy(() -> fs.rename(UnionFs.ROOT, "d", UnionFs.ROOT, "d2", 0))
        .isInstanceOfSatisfying(ErrnoException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EXDEV));
    assertThat(fs.getattr(d).type()).isEqualTo(FileType.DIRECTORY);
    long theirs = fs.lookup(UnionFs.ROOT, "theirs");
    fs.setattr(theirs, SetAttr.mode(0600));
    assertThat(Files.readString(upper.resolve("theirs"))).isEqualTo("owned by 1000\n");
    assertThat(nativeHost.getxattr(upper.resolve("theirs"), "user.overlay.metacopy")).isNull();
    UnionOptions asked = new UnionOptions(dev.strata.host.Privileges.UNPRIVILEGED, false, true, true);
    assertThat(asked.redirectDir()).isFalse();
    assertThat(asked.metacopy()).isFalse();
  }

  @Test
  void copyUpKeepsTheLowerOwnerAndMode() throws IOException {
    long node = fs.lookup(UnionFs.ROOT, "theirs");
    long fh = fs.open(node, 2);
    fs.write(fh, 0, java.nio.ByteBuffer.wrap("changed".getBytes(StandardCharsets.UTF_8)));
    fs.release(fh);
    Attr a = fs.getattr(node);
    assertThat(a.uid()).isEqualTo(1000);
    assertThat(a.mode() & 07777).isEqualTo(0640);
    assertThat(override("theirs")).isEqualTo("1000:1000:0640:file");
  }

  @Test
  void theOverrideIsTheUnionsOwn() throws IOException {
    long node = fs.mknod(UnionFs.ROOT, "f", FileType.REGULAR.modeBits() | 0644, 0, 0, new Ctx(5, 5));
    fs.setxattr(node, "user.note", "kept".getBytes(StandardCharsets.UTF_8));
    assertThat(fs.listxattr(node)).containsExactly("user.note");
    assertThatThrownBy(() -> fs.getxattr(node, "user.containers.override_stat"))
        .isInstanceOfSatisfying(ErrnoException.class, e -> assertThat(e.errno()).isEqualTo(Errno.ENODATA));
    assertThatThrownBy(() -> fs.setxattr(node, "user.containers.override_stat", new byte[] {'x'}))
        .isInstanceOfSatisfying(ErrnoException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EPERM));
  }

  @Test
  void aCommittedLayerCarriesTheOwnersAndTypesTheUnionShows() throws IOException {
    fs.mknod(UnionFs.ROOT, "null", FileType.CHAR_DEVICE.modeBits() | 0666, 1, 3, Ctx.ROOT);
    fs.mknod(UnionFs.ROOT, "app", FileType.REGULAR.modeBits() | 04755, 0, 0, new Ctx(1000, 100));
    ByteArrayOutputStream tar = new ByteArrayOutputStream();
    Changeset.write(fs, tar);
    List<LayerEntry> entries;
    dev.strata.blob.ContentStore objects = dev.strata.blob.ContentStore.fannedOut(dir.resolve("objects"), dir.resolve("tmp"));
    try (dev.strata.blob.ObjectBatch batch = objects.batch()) {
      entries = LayerIngest.ingest(new ByteArrayInputStream(tar.toByteArray()), batch, LowerFiles.NONE,
          IngestLimits.DEFAULT).entries();
    }
    Map<String, LayerEntry> byPath = new java.util.HashMap<>();
    entries.forEach(e -> byPath.put(e.path(), e));
    assertThat(byPath.get("null").kind()).isEqualTo(EntryKind.CHAR_DEVICE);
    assertThat(byPath.get("null").devMinor()).isEqualTo(3);
    assertThat(byPath.get("app").uid()).isEqualTo(1000);
    assertThat(byPath.get("app").gid()).isEqualTo(100);
    assertThat(byPath.get("app").mode()).isEqualTo(04755);
    assertThat(byPath.get("app").xattrs()).doesNotContainKey("user.containers.override_stat");
  }
}
