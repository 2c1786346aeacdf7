package dev.strata.cli;

import dev.strata.inspect.TreeNode;
import dev.strata.layer.LayerEntry;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/** How one path of a tree is printed: as a line for people and as a JSON object. */
final class Nodes {
  private Nodes() {}

  /** Returns the JSON type name of a node: file, hardlink, dir, symlink, char, block, fifo. */
  static String type(TreeNode n) {
    if (n.entry() == null) {
      return "dir";
    }
    return switch (n.entry().kind()) {
      case FILE -> "file";
      case HARDLINK -> "hardlink";
      case DIRECTORY -> "dir";
      case SYMLINK -> "symlink";
      case CHAR_DEVICE -> "char";
      case BLOCK_DEVICE -> "block";
      case FIFO -> "fifo";
      default -> n.entry().kind().name().toLowerCase(Locale.ROOT);
    };
  }

  /** {path, type, mode, uid, gid, size, digest, linkTarget, layer}; an implied directory has no mode or owner. */
  static Map<String, Object> json(TreeNode n) {
    Map<String, Object> m = new LinkedHashMap<>();
    LayerEntry e = n.entry();
    m.put("path", n.path());
    m.put("type", type(n));
    m.put("mode", e == null ? null : String.format("%04o", e.mode()));
    m.put("uid", e == null ? null : e.uid());
    m.put("gid", e == null ? null : e.gid());
    m.put("size", n.size());
    m.put("digest", e == null || e.object() == null ? null : e.object().toString());
    m.put("linkTarget", e == null ? null : e.linkTarget());
    m.put("layer", n.layer());
    return m;
  }

  /** The mode column as {@code ls -l} prints it, with 'h' for a hard link. */
  static String mode(TreeNode n) {
    LayerEntry e = n.entry();
    int mode = e == null ? 0755 : e.mode();
    StringBuilder b = new StringBuilder().append(n.type());
    String rwx = "rwxrwxrwx";
    for (int i = 0; i < 9; i++) {
      b.append((mode & (1 << (8 - i))) != 0 ? rwx.charAt(i) : '-');
    }
    return b.toString();
  }

  /** The owner column, uid/gid. */
  static String owner(TreeNode n) {
    return n.entry() == null ? "-" : n.entry().uid() + "/" + n.entry().gid();
  }

  /** The name column: "/" + path, with a symlink's or hard link's target, printable. */
  static String name(TreeNode n) {
    LayerEntry e = n.entry();
    String name = "/" + Output.name(n.path());
    if (e != null && e.linkTarget() != null) {
      name += switch (e.kind()) {
        case HARDLINK -> " link to /" + Output.name(e.linkTarget());
        default -> " -> " + Output.name(e.linkTarget());
      };
    }
    return name;
  }
}
