package dev.strata.union;

import dev.strata.host.Errno;
import dev.strata.host.ErrnoException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Optional;

/**
 * Reads a file of an image through its union, as the container would: symbolic links followed
 * inside the image's root ({@code /} and {@code ..} at the top stay at the image's root), never
 * on the host, so that an image whose /etc/passwd links to /etc/shadow reads the image's
 * shadow, not the host's.
 */
public final class RootFiles {
  /** As the kernel's limit on links followed in one walk. */
  private static final int MAX_LINKS = 40;

  private RootFiles() {}

  /** The bytes of {@code path}; empty if it is missing; an error past {@code limit} bytes. */
  public static Optional<byte[]> read(UnionFs fs, String path, int limit) throws IOException {
    Deque<String> todo = new ArrayDeque<>(List.of(path.split("/")));
    List<Long> walked = new ArrayList<>(); // the nodes from the root down, each holding one lookup
    int links = 0;
    try {
      while (!todo.isEmpty()) {
        String name = todo.poll();
        if (name.isEmpty() || name.equals(".")) {
          continue;
        }
        if (name.equals("..")) {
          if (!walked.isEmpty()) {
            fs.forget(walked.remove(walked.size() - 1), 1);
          }
          continue;
        }
        long parent = walked.isEmpty() ? UnionFs.ROOT : walked.get(walked.size() - 1);
        long node;
        try {
          node = fs.lookup(parent, name);
        } catch (ErrnoException e) {
          if (e.errno() == Errno.ENOENT || e.errno() == Errno.ENOTDIR) {
            return Optional.empty();
          }
          throw e;
        }
        if (fs.getattr(node).type() != FileType.SYMLINK) {
          walked.add(node);
          continue;
        }
        String target = fs.readlink(node);
        fs.forget(node, 1);
        if (++links > MAX_LINKS) {
          throw new ErrnoException(Errno.ELOOP, "the image's " + path + ": more than " + MAX_LINKS + " symbolic links");
        }
        List<String> parts = List.of(target.split("/"));
        for (int i = parts.size() - 1; i >= 0; i--) {
          todo.push(parts.get(i));
        }
        if (target.startsWith("/")) {
          forgetAll(fs, walked);
        }
      }
      if (walked.isEmpty() || fs.getattr(walked.get(walked.size() - 1)).type() != FileType.REGULAR) {
        throw new IOException("the image's " + path + " is not a regular file");
      }
      return Optional.of(content(fs, walked.get(walked.size() - 1), path, limit));
    } finally {
      forgetAll(fs, walked);
    }
  }

  private static byte[] content(UnionFs fs, long node, String path, int limit) throws IOException {
    long handle = fs.open(node, 0);
    try {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      ByteBuffer buf = ByteBuffer.allocate(64 * 1024);
      for (long offset = 0; ; ) {
        buf.clear();
        int n = fs.read(handle, offset, buf);
        if (n <= 0) {
          return out.toByteArray();
        }
        offset += n;
        if (offset > limit) {
          throw new IOException("the image's " + path + " is larger than " + limit + " bytes");
        }
        out.write(buf.array(), 0, n);
      }
    } finally {
      fs.release(handle);
    }
  }

  private static void forgetAll(UnionFs fs, List<Long> nodes) {
    for (long n : nodes) {
      fs.forget(n, 1);
    }
    nodes.clear();
  }
}
