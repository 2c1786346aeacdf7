package dev.strata.union;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Who a container's command runs as: {@code --user} or the image's {@code User}, {@code
 * USER[:GROUP]} with names looked up in the image's own /etc/passwd and /etc/group, as runc
 * resolves a user for podman (libcontainer's GetExecUser): a name must be there; a number need
 * not be (then its group is 0 and its home /); a user found by name or number takes its
 * primary group and home from passwd and, unless a group is given, the groups that list it;
 * an empty spec is root.
 *
 * @param uid the user id, as the container sees it
 * @param gid the primary group id
 * @param groups the supplementary group ids
 * @param home the home directory, for HOME when the image sets none
 */
public record ImageUser(long uid, long gid, List<Long> groups, String home) {
  /** A passwd or group file larger than this is no image's: refused rather than read whole. */
  private static final int MAX_FILE = 4 << 20;

  public ImageUser {
    groups = List.copyOf(groups);
  }

  /** Resolves {@code spec} ({@code USER[:GROUP]}, names or numbers) in the image {@code fs}. */
  public static ImageUser resolve(UnionFs fs, String spec) throws IOException {
    if (spec == null || spec.isEmpty()) {
      spec = "0";
    }
    int colon = spec.indexOf(':');
    String user = colon < 0 ? spec : spec.substring(0, colon);
    String group = colon < 0 ? null : spec.substring(colon + 1);
    if (user.isEmpty() || (group != null && group.isEmpty())) {
      throw new IllegalArgumentException("user '" + spec + "': expected USER[:GROUP], names or numbers");
    }
    List<String[]> passwd = entries(fs, "/etc/passwd", 7);
    String[] entry = null;
    for (String[] e : passwd) {
      if (e[0].equals(user) || (isNumber(user) && e[2].equals(user))) {
        entry = e;
        break;
      }
    }
    if (entry == null && !isNumber(user)) {
      throw new IllegalArgumentException("user '" + user + "': no such user in the image's /etc/passwd");
    }
    long uid = entry != null ? id(entry[2], "/etc/passwd", user) : id(user, "--user", user);
    long gid = entry != null ? id(entry[3], "/etc/passwd", user) : 0;
    String home = entry != null && !entry[5].isEmpty() ? entry[5] : "/";
    List<Long> groups = new ArrayList<>();
    if (group != null) {
      gid = groupId(fs, group);
    } else if (entry != null) {
      for (String[] g : entries(fs, "/etc/group", 4)) {
        if (List.of(g[3].split(",")).contains(entry[0])) {
          long id = id(g[2], "/etc/group", g[0]);
          if (!groups.contains(id)) {
            groups.add(id);
          }
        }
      }
    }
    return new ImageUser(uid, gid, groups, home);
  }

  private static long groupId(UnionFs fs, String group) throws IOException {
    for (String[] g : entries(fs, "/etc/group", 4)) {
      if (g[0].equals(group) || (isNumber(group) && g[2].equals(group))) {
        return id(g[2], "/etc/group", group);
      }
    }
    if (!isNumber(group)) {
      throw new IllegalArgumentException("group '" + group + "': no such group in the image's /etc/group");
    }
    return id(group, "--user", group);
  }

  /** The lines of an image file split at colons, those with fewer than {@code fields} skipped. */
  private static List<String[]> entries(UnionFs fs, String path, int fields) throws IOException {
    Optional<byte[]> bytes = RootFiles.read(fs, path, MAX_FILE);
    List<String[]> out = new ArrayList<>();
    if (bytes.isEmpty()) {
      return out;
    }
    for (String line : new String(bytes.get(), UTF_8).split("\n")) {
      String[] f = line.split(":", -1);
      if (f.length >= fields && !line.startsWith("#")) {
        out.add(f);
      }
    }
    return out;
  }

  private static boolean isNumber(String s) {
    return !s.isEmpty() && s.chars().allMatch(c -> c >= '0' && c <= '9');
  }

  private static long id(String s, String where, String who) {
    if (isNumber(s) && s.length() <= 10 && Long.parseLong(s) <= 0xFFFF_FFFEL) {
      return Long.parseLong(s);
    }
    throw new IllegalArgumentException(where + ": '" + s + "' (for " + who + ") is not a user or group id");
  }
}
