package dev.strata.fuse.kernel;

import static java.nio.file.StandardOpenOption.APPEND;
import static java.nio.file.StandardOpenOption.CREATE_NEW;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.WRITE;
import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.fuse.Mounts;
import dev.strata.fuse.TestHost;
import dev.strata.union.HostDirLayer;
import dev.strata.union.UnionFs;
import dev.strata.union.UnionOptions;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * FUSE passthrough on a real mount (this test runs as root, which may register backing files):
 * files whose bytes are one host file are read and written by the kernel there, no READ or
 * WRITE reaching the server ({@link RequestStats}), with the data and the union's semantics
 * what the engine alone gives; where a file is the engine's to serve (a lower file a write
 * elsewhere may copy up) or passthrough is off or refused, every read and write reaches the
 * server as before.
 */
class PassthroughTest {
  private static final int MIB = 1 << 20;

  @TempDir Path dir;
  private Path lower;
  private Path upper;
  private Path mnt;
  private final List<KernelMount> mounts = new ArrayList<>();
  private final List<Path> mountPoints = new ArrayList<>();

  @BeforeEach
  void layers() throws IOException {
    lower = Files.createDirectories(dir.resolve("lower"));
    upper = Files.createDirectories(dir.resolve("upper"));
    Files.createDirectories(dir.resolve("work"));
    mnt = Files.createDirectories(dir.resolve("mnt"));
    Files.write(lower.resolve("big"), bytes(3 * MIB + 123, 1));
    Files.writeString(lower.resolve("small"), "from below\n");
    Files.createDirectories(lower.resolve("sub"));
  }

  @AfterEach
  void unmount() throws IOException {
    for (int i = mounts.size() - 1; i >= 0; i--) {
      try {
        mounts.get(i).close();
      } finally {
        if (Mounts.at(mountPoints.get(i)).isPresent()) {
          Mounts.unmount(mountPoints.get(i), true);
        }
      }
    }
  }

  @Test
  void newFilesAreWrittenAndReadByTheKernelInTheUpperFile() throws IOException {
    KernelMount m = mount(KernelMountOptions.defaults("strata-passthrough-test"));
    assertThat(m.passthrough()).as("root, Linux 6.9+: agreed at INIT").isTrue();
    byte[] data = bytes(5 * MIB + 7, 2);
    Files.write(mnt.resolve("new"), data);
    assertThat(Files.readAllBytes(mnt.resolve("new"))).isEqualTo(data);
    assertThat(Files.readAllBytes(upper.resolve("new"))).isEqualTo(data);
    assertThat(Files.size(mnt.resolve("new"))).isEqualTo(data.length);
    assertNoDataRequests(m);
    assertThat(m.stats().count(Protocol.FLUSH)).as("FOPEN_NOFLUSH: close asks nothing").isZero();
    assertThat(m.dispatcher().passthrough().directOpens()).isGreaterThanOrEqualTo(2);
  }

  @Test
  void aLowerFileCopiedUpIsThenTheKernelsToReadAndWrite() throws IOException {
    KernelMount m = mount(KernelMountOptions.defaults("strata-passthrough-test"));
    byte[] expected = Files.readAllBytes(lower.resolve("big"));
    try (FileChannel c = FileChannel.open(mnt.resolve("big"), READ, WRITE)) {
      c.write(ByteBuffer.wrap("changed".getBytes(StandardCharsets.US_ASCII)), MIB);
      System.arraycopy("changed".getBytes(StandardCharsets.US_ASCII), 0, expected, MIB, 7);
      ByteBuffer back = ByteBuffer.allocate(expected.length);
      while (back.hasRemaining() && c.read(back, back.position()) > 0) {
        // read it all through the same descriptor
      }
      assertThat(back.array()).isEqualTo(expected);
    }
    assertThat(Files.readAllBytes(mnt.resolve("big"))).isEqualTo(expected);
    assertThat(Files.readAllBytes(upper.resolve("big"))).isEqualTo(expected);
    assertThat(Files.readAllBytes(lower.resolve("big"))).as("the lower untouched").isEqualTo(bytes(3 * MIB + 123, 1));
    assertNoDataRequests(m);
  }

  @Test
  void truncateAppendAndFsyncThroughTheBackingFile() throws IOException {
    KernelMount m = mount(KernelMountOptions.defaults("strata-passthrough-test"));
    Path f = mnt.resolve("grow");
    try (FileChannel c = FileChannel.open(f, CREATE_NEW, WRITE)) {
      c.write(ByteBuffer.wrap(bytes(100_000, 3)));
      c.truncate(10);
      assertThat(Files.size(f)).as("the kernel's size after a truncate").isEqualTo(10);
      c.force(true);
    }
    try (FileChannel c = FileChannel.open(f, WRITE, APPEND)) {
      c.write(ByteBuffer.wrap("+tail".getBytes(StandardCharsets.US_ASCII)));
      assertThat(Files.size(f)).as("the kernel's size after an append, at once").isEqualTo(15);
      c.force(false);
    }
    byte[] expected = new byte[15];
    System.arraycopy(bytes(100_000, 3), 0, expected, 0, 10);
    System.arraycopy("+tail".getBytes(StandardCharsets.US_ASCII), 0, expected, 10, 5);
    assertThat(Files.readAllBytes(f)).isEqualTo(expected);
    assertThat(Files.readAllBytes(upper.resolve("grow"))).isEqualTo(expected);
    assertThat(m.stats().count(Protocol.FSYNC)).as("fsync still asks the server, which syncs the file").isEqualTo(2);
    assertNoDataRequests(m);
  }

  @Test
  void sharedMappingsAreOfTheUpperFile() throws IOException {
    KernelMount m = mount(KernelMountOptions.defaults("strata-passthrough-test"));
    try (FileChannel c = FileChannel.open(mnt.resolve("big"), READ, WRITE)) {
      MappedByteBuffer map = c.map(FileChannel.MapMode.READ_WRITE, 0, 4096);
      map.put(0, (byte) 'M');
      map.force();
    }
    assertThat(Files.readAllBytes(upper.resolve("big"))[0]).isEqualTo((byte) 'M');
    assertThat(Files.readAllBytes(mnt.resolve("big"))[0]).isEqualTo((byte) 'M');
    assertNoDataRequests(m);
  }

  @Test
  void aDescriptorKeepsItsFileAcrossUnlinkAndRename() throws IOException {
    KernelMount m = mount(KernelMountOptions.defaults("strata-passthrough-test"));
    Files.writeString(mnt.resolve("doomed"), "first ");
    try (FileChannel c = FileChannel.open(mnt.resolve("doomed"), READ, WRITE)) {
      Files.delete(mnt.resolve("doomed"));
      c.write(ByteBuffer.wrap("second".getBytes(StandardCharsets.US_ASCII)), 6);
      assertThat(read(c)).isEqualTo("first second");
      assertThat(Files.exists(mnt.resolve("doomed"))).isFalse();
    }
    Files.writeString(mnt.resolve("moving"), "one ");
    try (FileChannel c = FileChannel.open(mnt.resolve("moving"), READ, WRITE)) {
      Files.move(mnt.resolve("moving"), mnt.resolve("sub/moved"));
      c.write(ByteBuffer.wrap("two".getBytes(StandardCharsets.US_ASCII)), 4);
      assertThat(read(c)).isEqualTo("one two");
    }
    assertThat(Files.readString(mnt.resolve("sub/moved"))).isEqualTo("one two");
    assertThat(Files.readString(upper.resolve("sub/moved"))).isEqualTo("one two");
    assertNoDataRequests(m);
  }

  /**
   * The kernel's overlay semantics: a descriptor opened on a lower file before another copied
   * it up reads the copy. A lower file of a writable union is the engine's to serve, its node
   * stays so while that descriptor is open (a passthrough open then would fail with EIO),
   * and once all are closed the copy is the kernel's.
   */
  @Test
  void aLowerFileOpenBeforeItsCopyUpReadsTheCopyThroughTheServer() throws IOException {
    KernelMount m = mount(KernelMountOptions.defaults("strata-passthrough-test"));
    try (FileChannel reader = FileChannel.open(mnt.resolve("small"), READ)) {
      assertThat(read(reader)).isEqualTo("from below\n");
      try (FileChannel writer = FileChannel.open(mnt.resolve("small"), READ, WRITE)) {
        writer.write(ByteBuffer.wrap("FROM".getBytes(StandardCharsets.US_ASCII)), 0);
        assertThat(read(writer)).isEqualTo("FROM below\n");
      }
      assertThat(read(reader)).as("the copy, as the kernel's overlay shows it").isEqualTo("FROM below\n");
    }
    assertThat(m.stats().count(Protocol.READ)).isPositive();
    assertThat(m.stats().count(Protocol.WRITE)).isPositive();
    assertThat(m.dispatcher().passthrough().directOpens()).isZero();

    long reads = m.stats().count(Protocol.READ);
    assertThat(Files.readString(mnt.resolve("small"))).isEqualTo("FROM below\n");
    assertThat(m.dispatcher().passthrough().directOpens()).as("closed, the upper file is the kernel's").isOne();
    assertThat(m.stats().count(Protocol.READ)).isEqualTo(reads);
  }

  @Test
  void descriptorsOfOneFileByTwoNamesShareItsBackingFile() throws IOException {
    KernelMount m = mount(KernelMountOptions.defaults("strata-passthrough-test"));
    Files.writeString(mnt.resolve("a"), "0123456789");
    Files.createLink(mnt.resolve("b"), mnt.resolve("a"));
    try (FileChannel a = FileChannel.open(mnt.resolve("a"), READ, WRITE);
        FileChannel b = FileChannel.open(mnt.resolve("b"), READ, WRITE);
        FileChannel r = FileChannel.open(mnt.resolve("a"), READ)) {
      a.write(ByteBuffer.wrap("A".getBytes(StandardCharsets.US_ASCII)), 0);
      b.write(ByteBuffer.wrap("B".getBytes(StandardCharsets.US_ASCII)), 1);
      assertThat(read(r)).isEqualTo("AB23456789");
      assertThat(read(b)).isEqualTo("AB23456789");
    }
    assertThat(Files.readString(upper.resolve("b"))).isEqualTo("AB23456789");
    assertNoDataRequests(m);
  }

  /** A union nothing can copy up: its lower files, stored whole, are read by the kernel too. */
  @Test
  void aReadOnlyUnionsLowerFilesAreReadByTheKernel() throws IOException {
    UnionFs fs = UnionFs.open(List.of(HostDirLayer.open(lower)), null, null,
        UnionOptions.defaults(TestHost.ofProcess().privileges()).withReadOnly(true));
    KernelMount m = mount(fs, mnt, KernelMountOptions.defaults("strata-passthrough-test").withReadOnly(true));
    assertThat(Files.readAllBytes(mnt.resolve("big"))).isEqualTo(bytes(3 * MIB + 123, 1));
    assertThat(Files.readString(mnt.resolve("small"))).isEqualTo("from below\n");
    assertThat(m.dispatcher().passthrough().directOpens()).isEqualTo(2);
    assertNoDataRequests(m);
  }

  @Test
  void offEveryReadAndWriteIsTheServers() throws IOException {
    KernelMount m = mount(KernelMountOptions.defaults("strata-passthrough-test").withPassthrough(false));
    assertThat(m.passthrough()).isFalse();
    Files.write(mnt.resolve("new"), bytes(MIB, 4));
    assertThat(Files.readAllBytes(mnt.resolve("new"))).isEqualTo(bytes(MIB, 4));
    assertThat(m.stats().count(Protocol.WRITE)).isPositive();
    assertThat(m.dispatcher().passthrough().directOpens()).isZero();
  }

  /**
   * Served by the server (passthrough off), a read-only open closes without a FLUSH; an open
   * for writing still sends one, so that close(2) pushes what a shared mapping dirtied.
   */
  @Test
  void aReadOnlyOpenClosesWithoutAFlush() throws IOException {
    KernelMount m = mount(KernelMountOptions.defaults("strata-passthrough-test").withPassthrough(false));
    for (int i = 0; i < 3; i++) {
      assertThat(Files.readString(mnt.resolve("small"))).isEqualTo("from below\n");
    }
    assertThat(m.stats().count(Protocol.OPEN)).as("the opens reached the server").isPositive();
    assertThat(m.stats().count(Protocol.FLUSH)).as("FOPEN_NOFLUSH on read-only opens").isZero();
    Files.writeString(mnt.resolve("small"), "from above\n");
    assertThat(m.stats().count(Protocol.FLUSH)).as("an open for writing flushes at close").isPositive();
    assertThat(Files.readString(upper.resolve("small"))).isEqualTo("from above\n");
  }

  /**
   * A union whose upper is on another passthrough mount: the kernel refuses those backing
   * files (ELOOP, a filesystem stacked as deep as the mount's max_stack_depth), and each
   * open is served the old way, with the same data.
   */
  @Test
  void backingFilesTheKernelRefusesAreServedAsBefore() throws IOException {
    KernelMount outer = mount(KernelMountOptions.defaults("strata-passthrough-outer"));
    assertThat(outer.passthrough()).isTrue();
    Path inner = Files.createDirectories(mnt.resolve("inner"));
    Path innerUpper = Files.createDirectories(mnt.resolve("inner-upper"));
    Path innerWork = Files.createDirectories(mnt.resolve("inner-work"));
    Path innerMnt = Files.createDirectories(dir.resolve("inner-mnt"));
    Files.writeString(inner.resolve("deep"), "down there\n");
    UnionFs fs = UnionFs.open(List.of(HostDirLayer.open(inner)), innerUpper, innerWork,
        UnionOptions.defaults(TestHost.ofProcess().privileges()));
    KernelMount m = mount(fs, innerMnt, KernelMountOptions.defaults("strata-passthrough-inner"));
    Files.writeString(innerMnt.resolve("deep"), "changed\n");
    Files.write(innerMnt.resolve("new"), bytes(MIB, 5));
    assertThat(Files.readString(innerMnt.resolve("deep"))).isEqualTo("changed\n");
    assertThat(Files.readAllBytes(innerMnt.resolve("new"))).isEqualTo(bytes(MIB, 5));
    assertThat(Files.readAllBytes(innerUpper.resolve("new"))).isEqualTo(bytes(MIB, 5));
    assertThat(m.dispatcher().passthrough().directOpens()).isZero();
    assertThat(m.stats().count(Protocol.WRITE)).isPositive();
    assertThat(m.passthrough()).as("ELOOP is this file's, not the mount's").isTrue();
  }

  /**
   * A union without fsync (volatile, fsync=0, a build's scratch union): the first fsync is
   * answered ENOSYS, and the kernel answers every later one, of files and of directories,
   * with success itself; the data still reaches the upper file.
   */
  @Test
  void withoutFsyncTheKernelStopsAskingAfterTheFirst() throws IOException {
    UnionFs fs = UnionFs.open(List.of(HostDirLayer.open(lower)), upper, dir.resolve("work"),
        UnionOptions.defaults(TestHost.ofProcess().privileges()).withFsync(false));
    KernelMount m = mount(fs, mnt, KernelMountOptions.defaults("strata-passthrough-test").withPassthrough(false));
    for (int i = 0; i < 5; i++) {
      try (FileChannel c = FileChannel.open(mnt.resolve("f" + i), CREATE_NEW, WRITE)) {
        c.write(ByteBuffer.wrap(bytes(10_000, i)));
        c.force(i % 2 == 0);
      }
      try (FileChannel d = FileChannel.open(mnt, READ)) {
        d.force(true);
      }
    }
    assertThat(m.stats().count(Protocol.FSYNC)).as("one FSYNC, answered ENOSYS").isEqualTo(1);
    assertThat(m.stats().count(Protocol.FSYNCDIR)).as("one FSYNCDIR, answered ENOSYS").isEqualTo(1);
    for (int i = 0; i < 5; i++) {
      assertThat(Files.readAllBytes(upper.resolve("f" + i))).isEqualTo(bytes(10_000, i));
    }
  }

  private KernelMount mount(KernelMountOptions options) throws IOException {
    UnionFs fs = UnionFs.open(List.of(HostDirLayer.open(lower)), upper, dir.resolve("work"),
        UnionOptions.defaults(TestHost.ofProcess().privileges()));
    return mount(fs, mnt, options);
  }

  private KernelMount mount(UnionFs fs, Path at, KernelMountOptions options) throws IOException {
    KernelMount m = KernelMount.mount(fs, at, options);
    mounts.add(m);
    mountPoints.add(at);
    return m;
  }

  private static void assertNoDataRequests(KernelMount m) {
    assertThat(m.stats().count(Protocol.READ)).as("READ requests").isZero();
    assertThat(m.stats().count(Protocol.WRITE)).as("WRITE requests").isZero();
  }

  private static String read(FileChannel c) throws IOException {
    ByteBuffer b = ByteBuffer.allocate((int) c.size());
    while (b.hasRemaining() && c.read(b, b.position()) > 0) {
      // until the end
    }
    return new String(Arrays.copyOf(b.array(), b.position()), StandardCharsets.US_ASCII);
  }

  private static byte[] bytes(int n, long seed) {
    byte[] b = new byte[n];
    new Random(seed).nextBytes(b);
    return b;
  }
}
