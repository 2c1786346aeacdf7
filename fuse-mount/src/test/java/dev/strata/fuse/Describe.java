package dev.strata.fuse;

import com.google.common.hash.Hashing;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/** The one way both targets describe a file, so that snapshots compare as strings. */
final class Describe {
  private Describe() {}

  static String file(int mode, long uid, long gid, long size, int nlink, byte[] content, String link,
      SortedMap<String, String> xattrs) {
    char type = switch (mode & 0170000) {
      case 0040000 -> 'd';
      case 0100000 -> '-';
      case 0120000 -> 'l';
      case 0020000 -> 'c';
      case 0010000 -> 'p';
      default -> '?';
    };
    StringBuilder sb = new StringBuilder();
    sb.append(type).append(' ').append(Integer.toOctalString(mode & 07777)).append(' ').append(uid).append(':').append(gid);
    if (type != 'd') {
      sb.append(" size=").append(size).append(" nlink=").append(nlink);
    }
    if (content != null) {
      sb.append(" sha=").append(Hashing.sha256().hashBytes(content).toString(), 0, 16);
    }
    if (link != null) {
      sb.append(" -> ").append(link);
    }
    if (!xattrs.isEmpty()) {
      sb.append(" xattrs=").append(xattrs);
    }
    return sb.toString();
  }

  /** Adds to each description the other paths that share its inode number. */
  static Map<String, String> withLinks(Map<String, String> byPath, Map<String, Long> inos) {
    Map<Long, List<String>> groups = new TreeMap<>();
    inos.forEach((p, ino) -> groups.computeIfAbsent(ino, k -> new ArrayList<>()).add(p));
    Map<String, String> out = new TreeMap<>(byPath);
    for (List<String> g : groups.values()) {
      if (g.size() > 1) {
        g.sort(null);
        for (String p : g) {
          out.put(p, out.get(p) + " same-inode-as=" + g);
        }
      }
    }
    return out;
  }
}
