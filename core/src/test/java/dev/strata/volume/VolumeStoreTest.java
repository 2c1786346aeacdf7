package dev.strata.volume;

import dev.strata.host.HostDir;
import dev.strata.host.HostFile;
import dev.strata.host.Stat;
import dev.strata.layout.Store;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/** A fresh store, and its volumes, for each test. */
abstract class VolumeStoreTest {
  static final long NANOS = 1_650_000_000_987_654_321L;
  static final byte[] XATTR = {(byte) 0xfe, 0, 'v'};

  @TempDir
  Path dir;

  Store store;
  Volumes volumes;

  @BeforeEach
  void openStore() throws IOException {
    store = Store.open(dir.resolve("store"));
    volumes = new Volumes(store);
  }

  /** Volume {@code name}'s export: the same bytes for the same tree, owners, modes, times, xattrs and links. */
  byte[] exported(String name) throws IOException {
    return exported(volumes, name);
  }

  static byte[] exported(Volumes of, String name) throws IOException {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    of.export(name, out);
    return out.toByteArray();
  }

  /** What this process has in its staging directory but the file that marks it live. */
  List<String> staged() throws IOException {
    return staged(store);
  }

  static List<String> staged(Store of) throws IOException {
    try (Stream<Path> left = Files.list(of.tmp())) {
      return left.map(p -> p.getFileName().toString()).filter(n -> !n.equals("owner")).toList();
    }
  }

  /** A volume's worth of what a snapshot must keep exactly. */
  static void fillAllKinds(Path data) throws IOException {
    try (HostDir d = HostDir.open(data)) {
      d.mkdir("a", 0750);
      d.createFile("a/changed.txt", 0600);
      try (HostFile f = d.open("a/changed.txt", HostFile.O_WRONLY, 0)) {
        f.write(0, ByteBuffer.wrap("old content".getBytes(StandardCharsets.UTF_8)));
      }
      d.chown("a/changed.txt", 1001, 1002);
      d.chmod("a/changed.txt", 02640);
      d.setxattr("a/changed.txt", "user.binary", XATTR, 0);
      d.link("a/changed.txt", d, "a/link");
      d.utimens("a/changed.txt", NANOS, NANOS);
      d.symlink("../../outside", "a/sym");
      d.mknod("fifo", Stat.S_IFIFO | 0640, 0, 0);
      d.mkdir("olddir", 0700);
      d.createFile("olddir/inside", 0644);
      d.createFile("gone.txt", 0644);
      d.utimens("a", NANOS + 1, NANOS + 1);
    }
  }
}
