package dev.strata.union;

import com.google.common.collect.ImmutableList;
import dev.strata.host.Errno;
import dev.strata.host.ErrnoException;
import java.io.IOException;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The merged listing of a directory (overlayfs readdir.c): each name once, the upper's entry
 * over the lowers', whiteouts and what they hide never shown, layers below an opaque directory
 * ignored. Names are sorted, so that offsets stay stable across calls of one listing; an open
 * directory keeps the snapshot it was opened with, as a cached overlay directory does.
 */
final class MergedDir {
  private MergedDir() {}

  static ImmutableList<DirEntry> list(Stack stack, Lookup lookup, Node dir) throws IOException {
    if (!dir.isDirectory()) {
      throw new ErrnoException(Errno.ENOTDIR, "/" + dir.path());
    }
    Set<String> hidden = new HashSet<>();
    Map<String, Boolean> names = new TreeMap<>();
    if (dir.upper) {
      UpperDir.Listing listing = stack.upper.list(dir.path());
      hidden.addAll(listing.whiteouts());
      for (String n : listing.names()) {
        names.put(n, true);
      }
    }
    for (LowerRef r : dir.lowers) {
      Set<String> whiteoutsHere = new HashSet<>();
      for (LowerEntry e : stack.lowers.get(r.layer()).list(r.path())) {
        if (e.type() == FileType.WHITEOUT) {
          whiteoutsHere.add(e.name());
        } else if (!hidden.contains(e.name())) {
          names.putIfAbsent(e.name(), true);
        }
      }
      // A whiteout hides the name in the layers below it, not in its own layer.
      hidden.addAll(whiteoutsHere);
    }
    ImmutableList.Builder<DirEntry> out = ImmutableList.builder();
    Node parent = dir.parent == null ? dir : dir.parent;
    out.add(new DirEntry(".", dir.ino, FileType.DIRECTORY, 1));
    out.add(new DirEntry("..", parent.ino, FileType.DIRECTORY, 2));
    long offset = 3;
    for (String name : names.keySet()) {
      // d_ino must equal st_ino: take it from the node if the name was looked up, else resolve
      // the name as lookup would, without creating a node the kernel will never forget.
      Node child = dir.child(name);
      if (child != null) {
        out.add(new DirEntry(name, child.ino, child.type, offset++));
        continue;
      }
      Lookup.Resolved r = lookup.resolve(dir, name);
      if (r != null) {
        out.add(new DirEntry(name, stack.inodes.ino(Lookup.key(r)), r.type(), offset++));
      }
    }
    return out.build();
  }
}
