package dev.strata.build;

import dev.strata.build.containerfile.Instruction;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * {@code HEALTHCHECK [--interval=D] [--timeout=D] [--start-period=D] [--retries=N] CMD ...} and
 * {@code HEALTHCHECK NONE} into the config's {@code Healthcheck}, as Docker writes it: the test
 * as {@code ["CMD", ...]} (exec form) or {@code ["CMD-SHELL", "..."]}, durations in nanoseconds.
 */
final class Healthchecks {
  private Healthchecks() {}

  static void apply(Instruction in, ConfigEditor config) {
    Map<String, String> flags = in.flags();
    List<String> args = in.args(); // [NONE], [CMD, command] or, exec form, [CMD, executable, params...]
    if (args.size() == 1 && args.get(0).equals("NONE")) {
      config.healthcheck(List.of("NONE"), 0, 0, 0, 0);
      return;
    }
    List<String> test = new ArrayList<>();
    if (in.json()) {
      test.add("CMD");
      test.addAll(args.subList(1, args.size()));
    } else {
      test.add("CMD-SHELL");
      test.add(args.get(1));
    }
    config.healthcheck(test, nanos(flags.get("interval")), nanos(flags.get("timeout")),
        nanos(flags.get("start-period")), flags.containsKey("retries") ? Integer.parseInt(flags.get("retries")) : 0);
  }

  /** A Go duration ({@code 30s}, {@code 1m30s}, {@code 500ms}) in nanoseconds; 0 when absent. */
  static long nanos(String text) {
    if (text == null || text.isEmpty()) {
      return 0;
    }
    long total = 0;
    int i = 0;
    while (i < text.length()) {
      int start = i;
      while (i < text.length() && (Character.isDigit(text.charAt(i)) || text.charAt(i) == '.')) {
        i++;
      }
      int unitStart = i;
      while (i < text.length() && Character.isLetter(text.charAt(i))) {
        i++;
      }
      if (start == unitStart || unitStart == i) {
        throw new IllegalArgumentException("'" + text + "' is not a duration (as 30s, 1m30s, 500ms)");
      }
      double n = Double.parseDouble(text.substring(start, unitStart));
      Duration unit = switch (text.substring(unitStart, i)) {
        case "ns" -> Duration.ofNanos(1);
        case "us", "µs" -> Duration.ofNanos(1_000);
        case "ms" -> Duration.ofMillis(1);
        case "s" -> Duration.ofSeconds(1);
        case "m" -> Duration.ofMinutes(1);
        case "h" -> Duration.ofHours(1);
        default -> throw new IllegalArgumentException("'" + text + "': unknown unit '" + text.substring(unitStart, i) + "'");
      };
      total += (long) (n * unit.toNanos());
    }
    return total;
  }
}
