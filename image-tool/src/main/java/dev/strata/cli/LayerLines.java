package dev.strata.cli;

import dev.strata.transfer.Puller;

/** One line per layer of a pull, as people and logs read it. */
final class LayerLines {
  private LayerLines() {}

  static String describe(Puller.LayerEvent e) {
    return String.format("layer %d/%d %s %9s  ", e.index() + 1, e.count(),
        e.layer().digest().toString().substring(0, 19), Sizes.human(e.layer().size())) + outcome(e);
  }

  /** What became of the layer, without saying which one. */
  static String outcome(Puller.LayerEvent e) {
    return switch (e.status()) {
      case EXISTS -> "exists, skipped";
      case INDEXED, PULLED -> (e.status() == Puller.Status.INDEXED ? "indexed from the store's blob: " : "pulled: ")
          + e.result().entries().size() + " entries, " + e.objectsWritten() + " new files (" + Sizes.human(e.bytesWritten())
          + "), " + Sizes.human(e.bytesDeduped()) + " already stored";
    };
  }
}
