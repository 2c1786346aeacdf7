package dev.strata.fuse.kernel;

import java.nio.ByteBuffer;

/**
 * One reply being built: fuse_out_header, filled in last, then the payload, written by the
 * handler at {@link #body()}'s position. One write(2) sends all of it.
 */
final class Reply {
  final NativeBuffer memory;
  private final ByteBuffer b;
  private long unique;

  Reply(NativeBuffer memory) {
    this.memory = memory;
    this.b = memory.buffer;
  }

  void start(long requestUnique) {
    this.unique = requestUnique;
    b.clear().position(Protocol.OUT_HEADER);
  }

  /** Where the payload goes. */
  ByteBuffer body() {
    return b;
  }

  /** Payload room left. */
  int room() {
    return b.remaining();
  }

  /** Ends a successful reply; returns its length. */
  int ok() {
    int len = b.position();
    b.putInt(0, len);
    b.putInt(4, 0);
    b.putLong(8, unique);
    return len;
  }

  /** Ends the reply as an error: the header alone, with -errno. */
  int error(int errno) {
    b.putInt(0, Protocol.OUT_HEADER);
    b.putInt(4, -errno);
    b.putLong(8, unique);
    return Protocol.OUT_HEADER;
  }
}
