package dev.strata.host;

import java.nio.MappedByteBuffer;

/**
 * The pages of a file this process maps, as the host keeps them: a mapped file's pages count in
 * the process's resident size once touched, and stay counted while mapped, though the kernel
 * holds them in its page cache either way and can read them again at any time.
 */
public final class MappedPages {
  private static final int MADV_DONTNEED = 4;
  private static final long PAGE = 4096;

  private MappedPages() {}

  /**
   * Unmaps the pages of {@code mapping} from this process, leaving them in the page cache (shared
   * with whoever else reads the file): the next read of one maps it again, a minor fault. Only
   * for a shared mapping of a file ({@code FileChannel.MapMode.READ_ONLY} or {@code READ_WRITE}),
   * whose pages are the file's: a private mapping would lose what was written to it. Failures are
   * ignored, since nothing but memory is at stake.
   */
  public static void release(MappedByteBuffer mapping) {
    if (!mapping.isDirect() || mapping.capacity() == 0) {
      return;
    }
    long address = Libc.address(mapping, 0);
    long start = address & -PAGE;
    Libc.CALLS.madvise(start, address + mapping.capacity() - start, MADV_DONTNEED);
  }
}
