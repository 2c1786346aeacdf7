package dev.strata.cli.sandbox;

import dev.strata.union.IdMap;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The ranges of /etc/subuid or /etc/subgid ({@code NAME_OR_ID:START:COUNT} a line, shadow's
 * subuid(5)): whose ranges newuidmap lets a user map, and which ranges are someone's already.
 */
final class SubordinateIds {
  /** One line: {@code count} ids from {@code start} on, given to {@code owner}. */
  record Entry(String owner, long start, long count) {}

  private SubordinateIds() {}

  /** The entries of {@code file} (none if it is missing); a malformed line is an error naming it. */
  static List<Entry> read(Path file) throws IOException {
    List<Entry> out = new ArrayList<>();
    List<String> lines;
    try {
      lines = Files.readAllLines(file);
    } catch (NoSuchFileException e) {
      return out;
    }
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i).trim();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      String[] f = line.split(":");
      try {
        if (f.length != 3) {
          throw new NumberFormatException();
        }
        out.add(new Entry(f[0], Long.parseLong(f[1]), Long.parseLong(f[2])));
      } catch (NumberFormatException e) {
        throw new IOException(file + " line " + (i + 1) + ": '" + line + "' is not NAME:START:COUNT");
      }
    }
    return out;
  }

  /** The ranges of {@code entries} given to the user {@code name} or to its id {@code id}. */
  static List<Entry> of(List<Entry> entries, String name, long id) {
    List<Entry> out = new ArrayList<>();
    for (Entry e : entries) {
      if (e.owner.equals(name) || e.owner.equals(Long.toString(id))) {
        out.add(e);
      }
    }
    return out;
  }

  /** Whether {@code length} ids from {@code start} on meet any range of {@code entries}. */
  static boolean overlaps(List<Entry> entries, long start, long length) {
    for (Entry e : entries) {
      if (start < e.start + e.count && e.start < start + length) {
        return true;
      }
    }
    return false;
  }

  /**
   * A rootless container's map: its root is the caller ({@code own}), and its ids from 1 on
   * are the caller's subordinate ranges, one after the other, as podman maps them.
   */
  static IdMap rootless(long own, List<Entry> ranges) {
    List<IdMap.Range> map = new ArrayList<>(List.of(new IdMap.Range(0, own, 1)));
    long next = 1;
    for (Entry e : ranges) {
      map.add(new IdMap.Range(next, e.start, e.count));
      next += e.count;
    }
    return IdMap.of(map);
  }
}
