package dev.strata.build.containerfile;

import java.util.ArrayDeque;
import java.util.Deque;

/**
 * The shortest '/'-separated path naming the same place, by text alone, as Go's {@code
 * path.Clean} makes it (Docker cleans ignore patterns and the paths they are matched against so):
 * no empty or {@code .} parts, {@code ..} applied where it can be, no trailing slash; {@code .}
 * for nothing.
 */
final class CleanPath {
  private CleanPath() {}

  static String clean(String path) {
    boolean rooted = path.startsWith("/");
    Deque<String> parts = new ArrayDeque<>();
    for (String part : path.split("/")) {
      if (part.isEmpty() || part.equals(".")) {
        continue;
      }
      if (!part.equals("..")) {
        parts.addLast(part);
      } else if (!parts.isEmpty() && !parts.peekLast().equals("..")) {
        parts.removeLast();
      } else if (!rooted) {
        // Above a relative path's start ".." stays; above the root there is nothing.
        parts.addLast(part);
      }
    }
    String joined = String.join("/", parts);
    return rooted ? "/" + joined : joined.isEmpty() ? "." : joined;
  }
}
