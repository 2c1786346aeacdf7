package dev.strata.cli;

import dev.strata.digest.Digest;
import dev.strata.image.Descriptor;
import dev.strata.transfer.TransferProgress;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * One live line per blob on a terminal (bytes, rate, time left, or how it ended), redrawn in
 * place with ANSI cursor moves at most ten times a second; when output is not a terminal,
 * {@link #lines} prints one line per finished blob instead.
 */
final class ProgressBars implements TransferProgress {
  private static final long REDRAW_NANOS = 100_000_000L;
  private static final int WIDTH = 24;
  private final PrintWriter out;
  private final Map<Digest, Bar> bars = new LinkedHashMap<>();
  private int drawn;
  private long lastDraw;

  private static final class Bar {
    final Descriptor blob;
    final long start = System.nanoTime();
    long bytes;
    String note;

    Bar(Descriptor blob) {
      this.blob = blob;
    }
  }

  private ProgressBars(PrintWriter out) {
    this.out = out;
  }

  /** Live bars when stdout is a terminal, else null. */
  static ProgressBars onTerminal(PrintWriter out, boolean quiet) {
    return !quiet && System.console() != null ? new ProgressBars(out) : null;
  }

  /** One line per blob as it finishes, for logs; nothing when quiet. */
  static TransferProgress lines(PrintWriter out, boolean quiet) {
    if (quiet) {
      return TransferProgress.NONE;
    }
    return (blob, state, bytes) -> {
      if (state != State.RUNNING) {
        synchronized (out) {
          out.printf("blob %s %9s  %s%n", blob.digest().toString().substring(0, 19), Sizes.human(blob.size()), word(state));
          out.flush();
        }
      }
    };
  }

  private static String word(State state) {
    return switch (state) {
      case EXISTS -> "exists";
      case MOUNTED -> "mounted";
      case DONE -> "done";
      case RUNNING -> "";
    };
  }

  @Override
  public synchronized void update(Descriptor blob, State state, long bytes) {
    Bar bar = bars.computeIfAbsent(blob.digest(), d -> new Bar(blob));
    bar.bytes = bytes;
    if (state != State.RUNNING) {
      bar.note = word(state);
    }
    draw(state != State.RUNNING);
  }

  /** Replaces the bar of {@code blob} by a final word, such as what ingest made of it. */
  synchronized void note(Descriptor blob, String text) {
    bars.computeIfAbsent(blob.digest(), d -> new Bar(blob)).note = text;
    draw(true);
  }

  synchronized void finish() {
    draw(true);
  }

  private void draw(boolean now) {
    long t = System.nanoTime();
    if (!now && t - lastDraw < REDRAW_NANOS) {
      return;
    }
    lastDraw = t;
    StringBuilder s = new StringBuilder();
    if (drawn > 0) {
      s.append("\033[").append(drawn).append('A');
    }
    for (Bar bar : bars.values()) {
      s.append("\r\033[2K").append(line(bar, t)).append('\n');
    }
    drawn = bars.size();
    Output.control(out, s.toString());
  }

  private static String line(Bar bar, long now) {
    String head = bar.blob.digest().toString().substring(0, 19) + " ";
    if (bar.note != null) {
      return head + String.format(Locale.ROOT, "%9s  ", Sizes.human(bar.blob.size())) + bar.note;
    }
    long size = Math.max(1, bar.blob.size());
    int filled = (int) (WIDTH * Math.min(bar.bytes, size) / size);
    double seconds = Math.max(1e-3, (now - bar.start) / 1e9);
    double rate = bar.bytes / seconds;
    String eta = rate > 0 ? Math.round((size - bar.bytes) / rate) + "s" : "?";
    return head + "[" + "=".repeat(filled) + (filled < WIDTH ? ">" + " ".repeat(WIDTH - filled - 1) : "") + "] "
        + Sizes.human(bar.bytes) + " / " + Sizes.human(bar.blob.size()) + "  " + Sizes.human((long) rate) + "/s  ETA " + eta;
  }
}
