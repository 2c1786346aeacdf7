package dev.strata.union;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.blob.ObjectStore;
import dev.strata.host.HostFile;
import dev.strata.host.Privileges;
import dev.strata.layer.LowerFiles;
import dev.strata.layer.TarBuilder;
import dev.strata.layout.Store;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link UnionFs#hostFile}: the host file a transport may hand the kernel for an open file's
 * reads and writes (FUSE passthrough), and only where that keeps the union's semantics.
 */
class OpenFileHostFileTest {
  private static final int O_RDONLY = 0;
  private static final int O_RDWR = 2;
  private static final int O_CREAT = 0100;

  @TempDir Path dir;

  private UnionFs writable() throws IOException {
    Path lower = Files.createDirectories(dir.resolve("lower"));
    Files.writeString(lower.resolve("f"), "lower\n");
    return UnionFs.open(List.of(HostDirLayer.open(lower)), Files.createDirectories(dir.resolve("upper")),
        Files.createDirectories(dir.resolve("work")), UnionOptions.defaults(Privileges.ofProcess()));
  }

  @Test
  void aLowerFileOfAWritableUnionHasNoneItsCopyHasTheUpperFile() throws IOException {
    try (UnionFs fs = writable()) {
      long f = fs.lookup(UnionFs.ROOT, "f");
      long reader = fs.open(f, O_RDONLY);
      assertThat(fs.hostFile(reader)).as("another descriptor's write may copy it up while this one is open").isNull();
      long writer = fs.open(f, O_RDWR);
      assertThat(inode(fs.hostFile(writer))).isEqualTo(inode(dir.resolve("upper/f")));
      long later = fs.open(f, O_RDONLY);
      assertThat(inode(fs.hostFile(later))).isEqualTo(inode(dir.resolve("upper/f")));
      long[] made = fs.create(UnionFs.ROOT, "new", 0644, O_RDWR | O_CREAT, new Ctx(0, 0));
      assertThat(inode(fs.hostFile(made[1]))).isEqualTo(inode(dir.resolve("upper/new")));
      for (long h : new long[] {reader, writer, later, made[1]}) {
        fs.release(h);
      }
    }
  }

  @Test
  void aReadOnlyUnionsLowerFileStoredWholeIsItsOwn() throws IOException {
    Path lower = Files.createDirectories(dir.resolve("lower"));
    Files.writeString(lower.resolve("f"), "lower\n");
    try (UnionFs fs = UnionFs.open(List.of(HostDirLayer.open(lower)), null, null,
        UnionOptions.defaults(Privileges.ofProcess()).withReadOnly(true))) {
      long h = fs.open(fs.lookup(UnionFs.ROOT, "f"), O_RDONLY);
      assertThat(inode(fs.hostFile(h))).isEqualTo(inode(lower.resolve("f")));
      fs.release(h);
    }
  }

  @Test
  void aStoreLayersFileInAPackHasNoneAWholeObjectHasIt() throws IOException {
    Store store = Store.open(dir.resolve("store"));
    byte[] tar = new TarBuilder().file("small", "packed with others").file("big", "x".repeat(ObjectStore.PACK_LIMIT + 1))
        .toBytes();
    StoreLayer layer = StoreLayer.open(LayerFixture.ingest(store, tar, LowerFiles.NONE), store.objects());
    try (UnionFs fs = UnionFs.open(List.of(layer), null, null,
        UnionOptions.defaults(Privileges.ofProcess()).withReadOnly(true))) {
      long small = fs.open(fs.lookup(UnionFs.ROOT, "small"), O_RDONLY);
      assertThat(fs.hostFile(small)).isNull();
      long big = fs.open(fs.lookup(UnionFs.ROOT, "big"), O_RDONLY);
      HostFile file = fs.hostFile(big);
      assertThat(file).isNotNull();
      assertThat(file.size()).isEqualTo(ObjectStore.PACK_LIMIT + 1);
      fs.release(small);
      fs.release(big);
    }
  }

  private static long inode(HostFile f) throws IOException {
    assertThat(f).isNotNull();
    return f.stat().ino();
  }

  private static long inode(Path p) throws IOException {
    return (Long) Files.getAttribute(p, "unix:ino");
  }
}
