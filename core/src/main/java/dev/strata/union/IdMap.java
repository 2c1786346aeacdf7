package dev.strata.union;

import com.google.common.collect.ImmutableList;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.OptionalLong;

/**
 * A map between the user (or group) ids a union stores, in its layers and its upper, and the
 * ids its mount shows, in ranges as a user namespace's uid_map holds them. A container whose
 * uid_map is {@code 0 100000 65536} needs a mount that shows the image's files of uid 0 as
 * owned by 100000 (which the container sees as 0 again) and stores what uid 100000 makes as 0,
 * so that the upper, and the layer a commit writes of it, hold the image's own ids whatever
 * range the container ran in. The text form is fuse-overlayfs's {@code uidmapping=} value:
 * {@code STORED:SHOWN:LENGTH}, more ranges after further colons.
 *
 * <p>A stored id outside every range shows as {@link #OVERFLOW_ID}, as the kernel shows an id
 * a namespace cannot map. A shown id outside every range has no stored id: the union refuses
 * to make a file for such a caller or to give a file such an owner (EOVERFLOW, as an idmapped
 * mount of the kernel does), where fuse-overlayfs would store the overflow id.
 */
public final class IdMap {
  /** The id shown for a stored id no range maps: the kernel's default overflowuid/gid. */
  public static final long OVERFLOW_ID = 65534;
  /** Ids are 32 bits and (uid_t) -1 means "none", so the largest id is one less. */
  static final long MAX_ID = 0xFFFF_FFFEL;
  /** Every id stored as it is shown: a mount that maps nothing. */
  public static final IdMap IDENTITY = new IdMap(ImmutableList.of());

  /**
   * {@code length} ids from {@code stored} on, shown as the ids from {@code shown} on.
   *
   * @param stored the first id as layers and upper hold it (as the container sees it)
   * @param shown the first id as the mount shows it (as the host sees it)
   */
  public record Range(long stored, long shown, long length) {
    public Range {
      if (length < 1 || stored < 0 || shown < 0 || stored + length - 1 > MAX_ID || shown + length - 1 > MAX_ID) {
        throw new IllegalArgumentException("id range " + stored + ":" + shown + ":" + length
            + ": ids run from 0 to " + MAX_ID + " and a range holds at least one");
      }
    }

    boolean holdsStored(long id) {
      return id >= stored && id - stored < length;
    }

    boolean holdsShown(long id) {
      return id >= shown && id - shown < length;
    }
  }

  private final ImmutableList<Range> ranges;

  private IdMap(ImmutableList<Range> ranges) {
    this.ranges = ranges;
  }

  /** The map of {@code ranges}, which may not overlap on either side. */
  public static IdMap of(List<Range> ranges) {
    if (ranges.isEmpty()) {
      throw new IllegalArgumentException("an id map needs at least one range");
    }
    for (int i = 0; i < ranges.size(); i++) {
      for (int j = 0; j < i; j++) {
        Range a = ranges.get(i);
        Range b = ranges.get(j);
        if (overlap(a.stored, b.stored, a.length, b.length) || overlap(a.shown, b.shown, a.length, b.length)) {
          throw new IllegalArgumentException("id ranges " + text(b) + " and " + text(a) + " overlap");
        }
      }
    }
    return new IdMap(ImmutableList.copyOf(ranges));
  }

  /** The map of one range. */
  public static IdMap of(long stored, long shown, long length) {
    return of(List.of(new Range(stored, shown, length)));
  }

  /**
   * Parses fuse-overlayfs's {@code uidmapping=}/{@code gidmapping=} value, {@code
   * STORED:SHOWN:LENGTH[:STORED:SHOWN:LENGTH...]}; the error names the value and what is wrong.
   * Empty fields are skipped, as fuse-overlayfs's strtok skips them: containers/storage writes
   * its value with a colon in front ({@code uidmapping=:0:100000:65536}).
   */
  public static IdMap parse(String text) {
    String[] parts = Arrays.stream(text.split(":")).filter(p -> !p.isEmpty()).toArray(String[]::new);
    if (parts.length == 0 || parts.length % 3 != 0) {
      throw new IllegalArgumentException("id map '" + text + "': expected STORED:SHOWN:LENGTH, more ranges after colons");
    }
    List<Range> ranges = new ArrayList<>();
    for (int i = 0; i < parts.length; i += 3) {
      try {
        ranges.add(new Range(Long.parseLong(parts[i]), Long.parseLong(parts[i + 1]), Long.parseLong(parts[i + 2])));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("id map '" + text + "': '" + parts[i] + ":" + parts[i + 1] + ":"
            + parts[i + 2] + "' is not three numbers", e);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("id map '" + text + "': " + e.getMessage(), e);
      }
    }
    try {
      return of(ranges);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("id map '" + text + "': " + e.getMessage(), e);
    }
  }

  private static boolean overlap(long a, long b, long lengthA, long lengthB) {
    return a < b + lengthB && b < a + lengthA;
  }

  /** Whether every id is shown as it is stored. */
  public boolean isIdentity() {
    return ranges.isEmpty();
  }

  /** The ranges, in the order given; none for {@link #IDENTITY}. */
  public List<Range> ranges() {
    return ranges;
  }

  /** Whether {@code stored} has a shown id of its own (every id has in the identity). */
  public boolean mapsStored(long stored) {
    return ranges.isEmpty() || ranges.stream().anyMatch(r -> r.holdsStored(stored));
  }

  /** The id the mount shows for {@code stored}: {@link #OVERFLOW_ID} when no range holds it. */
  public long shown(long stored) {
    if (ranges.isEmpty()) {
      return stored;
    }
    for (Range r : ranges) {
      if (r.holdsStored(stored)) {
        return r.shown + (stored - r.stored);
      }
    }
    return OVERFLOW_ID;
  }

  /** The id stored for the shown id {@code shown}, empty when no range holds it. */
  public OptionalLong stored(long shown) {
    if (ranges.isEmpty()) {
      return OptionalLong.of(shown);
    }
    for (Range r : ranges) {
      if (r.holdsShown(shown)) {
        return OptionalLong.of(r.stored + (shown - r.shown));
      }
    }
    return OptionalLong.empty();
  }

  private static String text(Range r) {
    return r.stored + ":" + r.shown + ":" + r.length;
  }

  /** The text form, {@code STORED:SHOWN:LENGTH...}; "identity" for {@link #IDENTITY}. */
  @Override
  public String toString() {
    if (ranges.isEmpty()) {
      return "identity";
    }
    List<String> parts = new ArrayList<>();
    for (Range r : ranges) {
      parts.add(text(r));
    }
    return String.join(":", parts);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof IdMap m && m.ranges.equals(ranges);
  }

  @Override
  public int hashCode() {
    return ranges.hashCode();
  }
}
