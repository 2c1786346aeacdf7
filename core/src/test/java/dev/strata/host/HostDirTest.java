package dev.strata.host;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The host calls against a real directory: names as bytes, errnos as the kernel gives them. */
class HostDirTest {
  @TempDir
  Path tmp;

  private static final String LATIN1 = Names.decode(new byte[] {'f', (byte) 0xfc, 'r'});

  @Test
  void namesThatAreNotUtf8ReachTheHostByteForByte() throws Exception {
    try (HostDir dir = HostDir.open(tmp)) {
      dir.mkdir(LATIN1, 0755);
      dir.createFile(LATIN1 + "/ü\u00ff", 0644);
      dir.symlink(LATIN1 + "/../x", "link");
      assertThat(dir.list("").stream().map(HostDir.Entry::name)).containsExactlyInAnyOrder(LATIN1, "link");
      assertThat(dir.list(LATIN1).get(0).name()).isEqualTo("ü\u00ff");
      assertThat(dir.readlink("link")).isEqualTo(LATIN1 + "/../x");
      assertThat(dir.stat(LATIN1).isDirectory()).isTrue();
    }
    // What another program sees: the raw bytes, as find(1) prints them in the C locale.
    Process p = new ProcessBuilder("find", ".", "-mindepth", "1", "-print0").directory(tmp.toFile()).start();
    byte[] out = p.getInputStream().readAllBytes();
    List<String> names = new ArrayList<>();
    int start = 0;
    for (int i = 0; i < out.length; i++) {
      if (out[i] == 0) {
        names.add(Names.decode(out, start, i - start));
        start = i + 1;
      }
    }
    assertThat(names).containsExactlyInAnyOrder("./" + LATIN1, "./" + LATIN1 + "/ü\u00ff", "./link");
  }

  @Test
  void errnosAreTheHostsOwn() throws Exception {
    try (HostDir dir = HostDir.open(tmp)) {
      dir.createFile("f", 0644);
      assertThatThrownBy(() -> dir.truncate("f", 999_999_999_999_999L))
          .isInstanceOfSatisfying(ErrnoException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EFBIG));
      assertThatThrownBy(() -> dir.createFile("f", 0644))
          .isInstanceOfSatisfying(ErrnoException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EEXIST));
      assertThatThrownBy(() -> dir.createFile("x".repeat(256), 0644))
          .isInstanceOfSatisfying(ErrnoException.class, e -> assertThat(e.errno()).isEqualTo(Errno.ENAMETOOLONG));
      assertThatThrownBy(() -> dir.rmdir("f"))
          .isInstanceOfSatisfying(ErrnoException.class, e -> assertThat(e.errno()).isEqualTo(Errno.ENOTDIR));
      dir.createFile("g", 0644);
      assertThatThrownBy(() -> dir.rename("f", dir, "g", HostDir.RENAME_NOREPLACE))
          .isInstanceOfSatisfying(ErrnoException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EEXIST));
      assertThat(dir.stat("missing")).isNull();
      assertThat(dir.stat("f/below")).isNull();
    }
  }

  @Test
  void pathsPastPathMaxAreWalked() throws Exception {
    StringBuilder deep = new StringBuilder();
    try (HostDir dir = HostDir.open(tmp)) {
      for (int i = 0; i < 40; i++) {
        deep.append(i == 0 ? "" : "/").append(String.valueOf((char) ('a' + i % 26)).repeat(200));
        dir.mkdir(deep.toString(), 0755);
      }
      String file = deep + "/file";
      assertThat(Names.length(file)).isGreaterThan(8000);
      dir.createFile(file, 0600);
      dir.setxattr(file, "user.k", "v".getBytes(StandardCharsets.US_ASCII), 0);
      assertThat(dir.getxattr(file, "user.k")).isEqualTo("v".getBytes(StandardCharsets.US_ASCII));
      assertThat(dir.listxattr(file)).contains("user.k");
      try (HostFile f = dir.open(file, HostFile.O_RDWR, 0)) {
        f.write(0, ByteBuffer.wrap("data".getBytes(StandardCharsets.US_ASCII)));
        ByteBuffer back = ByteBuffer.allocateDirect(16);
        assertThat(f.read(0, back)).isEqualTo(4);
        assertThat(f.size()).isEqualTo(4);
      }
      assertThat(dir.stat(file).size()).isEqualTo(4);
      dir.unlink(file);
      assertThat(dir.stat(file)).isNull();
      // The JDK cannot delete what is this deep; remove it the same way it was made.
      for (String d = deep.toString(); !d.isEmpty(); d = d.contains("/") ? d.substring(0, d.lastIndexOf('/')) : "") {
        dir.rmdir(d);
      }
    }
  }

  @Test
  void anOpenFileWorksAfterItsNameIsGone() throws Exception {
    try (HostDir dir = HostDir.open(tmp); HostFile f = dir.open("f", HostFile.O_RDWR | HostFile.O_CREAT, 0644)) {
      dir.unlink("f");
      f.write(0, ByteBuffer.wrap(new byte[] {1, 2, 3}));
      f.chmod(0600);
      f.truncate(2);
      Stat st = f.stat();
      assertThat(st.size()).isEqualTo(2);
      assertThat(st.nlink()).isZero();
      assertThat(st.mode() & 07777).isEqualTo(0600);
      f.setxattr("user.a", new byte[] {7}, 0);
      assertThat(f.getxattr("user.a")).containsExactly(7);
      assertThat(f.listxattr()).contains("user.a");
    }
  }

  @Test
  void heapAndDirectBuffersReadTheSame() throws IOException {
    byte[] data = new byte[200_000];
    new java.util.Random(1).nextBytes(data);
    Files.write(tmp.resolve("d"), data);
    try (HostDir dir = HostDir.open(tmp); HostFile f = dir.open("d", HostFile.O_RDONLY, 0)) {
      ByteBuffer heap = ByteBuffer.allocate(data.length + 10);
      ByteBuffer direct = ByteBuffer.allocateDirect(data.length + 10);
      heap.position(3);
      direct.position(3);
      while (f.read(heap.position() - 3, heap) > 0) { }
      while (f.read(direct.position() - 3, direct) > 0) { }
      byte[] a = new byte[data.length];
      byte[] b = new byte[data.length];
      heap.flip().position(3);
      heap.get(a);
      direct.flip().position(3);
      direct.get(b);
      assertThat(a).isEqualTo(data);
      assertThat(b).isEqualTo(data);
    }
  }
}
