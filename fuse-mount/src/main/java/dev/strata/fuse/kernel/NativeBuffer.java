package dev.strata.fuse.kernel;

import com.kenai.jffi.MemoryIO;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A block of native memory with a direct ByteBuffer over it: read(2) and write(2) of the device
 * take the address, the parsing and formatting code takes the buffer. Owned by one thread.
 */
final class NativeBuffer implements AutoCloseable {
  final long address;
  final int size;
  final ByteBuffer buffer;
  private boolean freed;

  NativeBuffer(int size) {
    this.size = size;
    this.address = MemoryIO.getInstance().allocateMemory(size, false);
    if (address == 0) {
      throw new OutOfMemoryError("cannot allocate " + size + " bytes of native memory");
    }
    // The kernel writes its structs in the host's order (little-endian on x86-64 and arm64).
    this.buffer = MemoryIO.getInstance().newDirectByteBuffer(address, size).order(ByteOrder.nativeOrder());
  }

  @Override
  public void close() {
    if (!freed) {
      freed = true;
      MemoryIO.getInstance().freeMemory(address);
    }
  }
}
