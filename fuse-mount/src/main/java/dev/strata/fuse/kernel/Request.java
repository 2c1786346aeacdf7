package dev.strata.fuse.kernel;

import dev.strata.host.Names;
import java.nio.ByteBuffer;

/**
 * One request as read from the device: fuse_in_header, then the opcode's struct and names,
 * read in order with the cursor methods. The buffer is reused for the next request.
 */
final class Request {
  final NativeBuffer memory;
  private final ByteBuffer b;
  int opcode;
  long unique;
  long nodeid;
  int uid;
  int gid;
  int pid;

  Request(NativeBuffer memory) {
    this.memory = memory;
    this.b = memory.buffer;
  }

  /** Takes the {@code length} bytes just read as the current request. */
  void parse(int length) {
    if (length < Protocol.IN_HEADER) {
      throw new IllegalArgumentException("short FUSE request: " + length + " bytes");
    }
    b.clear().limit(length);
    opcode = b.getInt(4);
    unique = b.getLong(8);
    nodeid = b.getLong(16);
    uid = b.getInt(24);
    gid = b.getInt(28);
    pid = b.getInt(32);
    b.position(Protocol.IN_HEADER);
  }

  int u32() {
    return b.getInt();
  }

  long u64() {
    return b.getLong();
  }

  /** The bytes of the request not read yet. */
  int remaining() {
    return b.remaining();
  }

  void skip(int bytes) {
    b.position(b.position() + bytes);
  }

  /** The next NUL-terminated string (a name or a symlink target), its bytes kept exactly. */
  String string() {
    return Names.decode(bytes());
  }

  /** The next NUL-terminated string's bytes. */
  byte[] bytes() {
    int start = b.position();
    int end = start;
    while (end < b.limit() && b.get(end) != 0) {
      end++;
    }
    byte[] s = new byte[end - start];
    b.get(s);
    if (b.position() < b.limit()) {
      b.get(); // the NUL
    }
    return s;
  }

  /** The next {@code n} bytes as a view (WRITE's data, an xattr value), without copying. */
  ByteBuffer view(int n) {
    if (n > b.remaining()) {
      throw new IllegalArgumentException("request says " + n + " bytes follow, only " + b.remaining() + " do");
    }
    ByteBuffer v = b.slice(b.position(), n);
    skip(n);
    return v;
  }
}
