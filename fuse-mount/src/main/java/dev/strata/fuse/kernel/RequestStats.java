package dev.strata.fuse.kernel;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * The requests a mount served, by opcode: how many always (tests check which requests reach the
 * server), and with {@code -Dstrata.fuse.stats=FILE} also the time its threads spent handling
 * them and writing their replies, appended to FILE as one line when the mount ends: where a
 * workload's server time goes (benchmarks/compare-run-io.sh).
 */
final class RequestStats {
  private static final System.Logger LOG = System.getLogger(RequestStats.class.getName());
  private static final String FILE = System.getProperty("strata.fuse.stats");
  /** Opcodes below this are counted: all the protocol has but CUSE's. */
  private static final int OPCODES = 64;

  private final AtomicLongArray count = new AtomicLongArray(OPCODES);
  private final AtomicLongArray handleNanos = new AtomicLongArray(OPCODES);
  private final AtomicLongArray replyNanos = new AtomicLongArray(OPCODES);

  /** A time stamp where the stats are written, else 0 (no clock read on every request). */
  static long now() {
    return FILE != null ? System.nanoTime() : 0;
  }

  /**
   * Counts one request of {@code opcode}, handled since {@code start}, before its reply is
   * written (so the caller that the reply wakes finds it counted); returns the time now.
   */
  long handled(int opcode, long start) {
    if (opcode < 0 || opcode >= OPCODES) {
      return 0;
    }
    count.incrementAndGet(opcode);
    long now = now();
    handleNanos.addAndGet(opcode, now - start);
    return now;
  }

  /** The reply of a request of {@code opcode} handled at {@code handled} was written. */
  void replied(int opcode, long handled) {
    if (FILE != null && opcode >= 0 && opcode < OPCODES) {
      replyNanos.addAndGet(opcode, now() - handled);
    }
  }

  /** How many requests of {@code opcode} were served. */
  long count(int opcode) {
    return count.get(opcode);
  }

  /**
   * Appends {@code mountPoint}'s line to the stats file, if one was asked for: per opcode (the
   * numbers of include/uapi/linux/fuse.h, {@link Protocol}) the count, and the milliseconds
   * spent handling and replying, as {@code op=count/handle_ms/reply_ms}.
   */
  void write(Path mountPoint, boolean passthrough, long directOpens) {
    if (FILE == null) {
      return;
    }
    StringBuilder line = new StringBuilder(mountPoint + " passthrough=" + passthrough + " direct_opens=" + directOpens);
    for (int op = 0; op < OPCODES; op++) {
      if (count.get(op) > 0) {
        line.append(String.format(" %d=%d/%.1f/%.1f", op, count.get(op), handleNanos.get(op) / 1e6, replyNanos.get(op) / 1e6));
      }
    }
    try {
      Files.writeString(Path.of(FILE), line + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE,
          StandardOpenOption.APPEND);
    } catch (IOException e) {
      LOG.log(System.Logger.Level.WARNING, "FUSE request stats not written to " + FILE + ": " + e);
    }
  }
}
