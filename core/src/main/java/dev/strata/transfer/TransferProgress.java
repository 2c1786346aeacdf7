package dev.strata.transfer;

import dev.strata.image.Descriptor;

/** Hears how the bytes of each blob move, for progress bars; called from several threads. */
public interface TransferProgress {
  /** What happened to a blob. */
  enum State {
    /** Bytes are moving; {@code bytes} so far. */
    RUNNING,
    /** All bytes moved. */
    DONE,
    /** The destination had it already. */
    EXISTS,
    /** The registry linked it from another repository. */
    MOUNTED
  }

  /** Nothing to hear. */
  TransferProgress NONE = (blob, state, bytes) -> { };

  void update(Descriptor blob, State state, long bytes);
}
