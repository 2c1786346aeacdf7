package dev.strata.cli;

import dev.strata.layer.EntryKind;
import dev.strata.layer.LayerEntry;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One line of {@code tar --numeric-owner --full-time --quoting-style=literal -tv}, parsed; and
 * the same line made from a layer index entry, so the two can be compared field by field.
 */
record TarListing(String mode, long uid, long gid, String size, String time, String name, String link) {
  // tar pads the time column when some entries have fractional seconds, so the name follows
  // one or more spaces.
  private static final Pattern LINE = Pattern.compile(
      "^(\\S{10}) (\\d+)/(\\d+)\\s+(\\d+|\\d+,\\d+|\\d+, *\\d+) (\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d)(\\.\\d+)? +(.*)$");
  private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss").withZone(ZoneOffset.UTC);

  /** Parses GNU tar's verbose listing. */
  static List<TarListing> parse(String listing) {
    List<TarListing> out = new ArrayList<>();
    for (String line : listing.split("\n")) {
      if (line.isEmpty()) {
        continue;
      }
      Matcher m = LINE.matcher(line);
      if (!m.matches()) {
        throw new AssertionError("unexpected tar -tv line: " + line);
      }
      String mode = m.group(1);
      String rest = m.group(7);
      String link = null;
      if (mode.charAt(0) == 'l') {
        int arrow = rest.indexOf(" -> ");
        link = rest.substring(arrow + 4);
        rest = rest.substring(0, arrow);
      } else if (mode.charAt(0) == 'h') {
        int at = rest.indexOf(" link to ");
        link = normalize(rest.substring(at + 9));
        rest = rest.substring(0, at);
      }
      out.add(new TarListing(mode, Long.parseLong(m.group(2)), Long.parseLong(m.group(3)),
          m.group(4).replace(" ", ""), m.group(5) + nanos(m.group(6)), normalize(rest), link));
    }
    return out;
  }

  /** The line tar would print for {@code e}. */
  static TarListing of(LayerEntry e) {
    char type = e.kind().lsType();
    String size = switch (e.kind()) {
      case FILE -> Long.toString(e.size());
      case CHAR_DEVICE, BLOCK_DEVICE -> e.devMajor() + "," + e.devMinor();
      default -> "0";
    };
    String link = e.kind() == EntryKind.SYMLINK || e.kind() == EntryKind.HARDLINK ? e.linkTarget() : null;
    return new TarListing(type + permissions(e.mode()), e.uid(), e.gid(), size,
        TIME.format(Instant.ofEpochSecond(e.mtimeSeconds())) + (e.mtimeNanos() == 0 ? "" : "." + e.mtimeNanos()),
        e.path(), link);
  }

  /** tar prints a fraction only when there is one; compare as a number of nanoseconds. */
  private static String nanos(String fraction) {
    if (fraction == null) {
      return "";
    }
    String digits = (fraction.substring(1) + "000000000").substring(0, 9);
    int n = Integer.parseInt(digits);
    return n == 0 ? "" : "." + n;
  }

  private static String permissions(int mode) {
    char[] p = "rwxrwxrwx".toCharArray();
    for (int i = 0; i < 9; i++) {
      if ((mode & (1 << (8 - i))) == 0) {
        p[i] = '-';
      }
    }
    if ((mode & 04000) != 0) {
      p[2] = p[2] == 'x' ? 's' : 'S';
    }
    if ((mode & 02000) != 0) {
      p[5] = p[5] == 'x' ? 's' : 'S';
    }
    if ((mode & 01000) != 0) {
      p[8] = p[8] == 'x' ? 't' : 'T';
    }
    return new String(p);
  }

  private static String normalize(String name) {
    String n = name;
    while (n.startsWith("./")) {
      n = n.substring(2);
    }
    while (n.endsWith("/")) {
      n = n.substring(0, n.length() - 1);
    }
    return n.equals(".") ? "" : n;
  }
}
