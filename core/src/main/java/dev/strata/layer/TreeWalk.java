package dev.strata.layer;

import dev.strata.host.Names;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.Closeable;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * One pass over a layer's {@link TreeKeys} in path order, holding only the directories on the
 * way to the current path. It finds what a layer may not hold (a duplicate path, an entry under
 * a symlink or a file of the same layer, a file replacing the directory earlier entries are in, a
 * hard link to nothing, a directory or a symlink) and what the layer's tree shows, as a union
 * lower layer sees it: the OCI changeset rules that used to be applied to a map of every path.
 *
 * <p>Each problem is found at the entry where a reader in tar order would have stopped, so the
 * first in tar order is the one reported, with the same message a reader in tar order gives.
 * The tree's nodes go to a sort by (depth, path): their final order, where the children of a
 * directory follow one another sorted by name.
 */
final class TreeWalk {
  private static final int OPAQUE_FLAG = IndexFormat.OPAQUE;
  private static final int IMPLIED_FLAG = IndexFormat.IMPLIED;

  /** A problem of the entry at {@code position}; ranked as a reader in tar order meets them. */
  record Problem(long position, int rank, String message) {
    boolean before(Problem o) {
      return o == null || position < o.position || (position == o.position && rank < o.rank);
    }
  }

  /** One directory (or the path itself) on the way to the current key. */
  private static final class Frame {
    final byte[] path;
    final int depth;
    final long preorder;
    final boolean blocked;
    int entry = -1;
    EntryKind kind;
    int whiteout = -1;
    boolean opaqueMark;
    long minBelow = Long.MAX_VALUE;
    boolean dirBelow;
    int children;
    int firstLowerLink = -1;
    Pending pending;

    Frame(byte[] path, int depth, long preorder, boolean blocked) {
      this.path = path;
      this.depth = depth;
      this.preorder = preorder;
      this.blocked = blocked;
    }

    boolean real() {
      return entry >= 0 && !kind.isWhiteout();
    }

    boolean realNonDirectory() {
      return real() && kind != EntryKind.DIRECTORY;
    }

    String printable() {
      return UnsafeLayerException.printable(Names.decode(path));
    }
  }

  private final ExternalSort nodes;
  private final ExternalSort links;
  private final DataOutputStream byPath;
  private final Path scratch;
  private final List<Frame> stack = new ArrayList<>();
  private long preorder;
  private Problem problem;

  TreeWalk(ExternalSort nodes, ExternalSort links, DataOutputStream byPath, Path scratch) {
    this.nodes = nodes;
    this.links = links;
    this.byPath = byPath;
    this.scratch = scratch;
  }

  /** Walks the keys; returns the first problem in tar order, or null for a good layer. */
  Problem run(ExternalSort.Cursor keys) throws IOException {
    stack.add(new Frame(new byte[0], 0, preorder++, false));
    for (byte[] k = keys.next(); k != null; k = keys.next()) {
      int len = TreeKeys.pathLength(k);
      while (!PathOrder.contains(top().path, top().path.length, k, len)) {
        pop();
      }
      for (int at = top().path.length; at < len; ) {
        int end = at == 0 ? 0 : at + 1;
        while (end < len && k[end] != '/') {
          end++;
        }
        Frame parent = top();
        stack.add(new Frame(Arrays.copyOf(k, end), stack.size(), preorder++, parent.blocked || parent.realNonDirectory()));
        at = end;
      }
      apply(top(), k);
    }
    while (stack.size() > 1) {
      pop();
    }
    Frame root = stack.get(0);
    int flags = (root.opaqueMark ? OPAQUE_FLAG : 0) | (root.real() ? 0 : IMPLIED_FLAG);
    emit(root, root.real() ? root.kind : EntryKind.DIRECTORY, flags, root.entry, root.children);
    return problem;
  }

  private Frame top() {
    return stack.get(stack.size() - 1);
  }

  private void apply(Frame f, byte[] k) throws IOException {
    int position = TreeKeys.position(k);
    EntryKind kind = TreeKeys.kind(k);
    switch (TreeKeys.role(k)) {
      case TreeKeys.ENTRY -> {
        writeInt(byPath, position);
        if (f.entry >= 0) {
          report(position, 0, "duplicate entry for path '" + f.printable() + "'");
          return;
        }
        f.entry = position;
        f.kind = kind;
        checkParents(position, kind.isWhiteout(), 1);
      }
      case TreeKeys.OPAQUE -> f.opaqueMark = true;
      case TreeKeys.WHITEOUT -> f.whiteout = f.whiteout < 0 ? position : f.whiteout;
      case TreeKeys.LINK -> link(f, position, TreeKeys.flag(k));
      default -> throw new IllegalStateException("unknown key role");
    }
  }

  /** A hard link at {@code position} names the path of {@code f}: what it links to, or why not. */
  private void link(Frame f, int position, boolean below) throws IOException {
    if (checkParents(position, false, 3)) {
      return;
    }
    if (f.path.length == 0) {
      report(position, 4, "hard link to the root");
      return;
    }
    if (f.entry >= 0 && f.entry < position) {
      if (f.kind != EntryKind.FILE && f.kind != EntryKind.HARDLINK) {
        report(position, 4, "hard link to '" + f.printable() + "', which is a " + f.kind.name().toLowerCase());
        return;
      }
      links.add(LinkGroups.inLayer(position, f.entry, f.kind));
    } else if (below) {
      // Every link to a file below, up to the same path's entry in this layer, is one inode.
      if (f.firstLowerLink < 0) {
        f.firstLowerLink = position;
      }
      links.add(LinkGroups.below(position, f.firstLowerLink));
    } else {
      report(position, 4, "hard link to '" + f.printable() + "', which no earlier entry or lower layer holds");
    }
  }

  /**
   * Refuses an entry whose parent is, in this layer before it, a symlink (writing through it
   * could leave the root) or, unless it is a whiteout, some other non-directory.
   */
  private boolean checkParents(int position, boolean whiteout, int rank) {
    for (int i = 1; i < stack.size() - 1; i++) {
      Frame a = stack.get(i);
      if (a.entry < 0 || a.entry >= position) {
        continue;
      }
      if (a.kind == EntryKind.SYMLINK) {
        report(position, rank, "goes through the symlink '" + a.printable() + "' of the same layer");
        return true;
      }
      // umoci writes the whiteouts of a directory's old children after the file that replaced
      // it; they delete nothing new, and refusing them would refuse umoci's own images.
      if (a.kind != EntryKind.DIRECTORY && !whiteout) {
        report(position, rank, "parent '" + a.printable() + "' is not a directory");
        return true;
      }
    }
    return false;
  }

  private void report(long position, int rank, String message) {
    Problem p = new Problem(position, rank, message);
    if (p.before(problem)) {
      problem = p;
    }
  }

  /** Leaves the top frame: its node, if it shows one, decided now that its subtree is known. */
  private void pop() throws IOException {
    Frame f = stack.remove(stack.size() - 1);
    Frame parent = top();
    boolean real = f.real();
    if (f.realNonDirectory() && f.minBelow < f.entry) {
      // Either order of "a/x" and "a -> /elsewhere" must be refused, not only the one where
      // the symlink comes first.
      report(f.entry, 2, "a " + f.kind.name().toLowerCase().replace('_', ' ')
          + " replaces the directory that earlier entries of this layer are in");
    }
    boolean opaqueHere = f.opaqueMark && !f.blocked && !f.realNonDirectory();
    parent.minBelow = Math.min(parent.minBelow, real ? Math.min(f.minBelow, f.entry) : f.minBelow);
    parent.dirBelow |= real || opaqueHere || f.dirBelow;
    boolean shown = true;
    if (f.blocked) {
      // Below a file of this layer: whiteouts there delete nothing new (umoci writes them).
      shown = false;
    } else if (real) {
      boolean opaque = f.kind == EntryKind.DIRECTORY && (opaqueHere || f.whiteout >= 0);
      emit(f, f.kind, opaque ? OPAQUE_FLAG : 0, f.entry, f.kind == EntryKind.DIRECTORY ? f.children : 0);
    } else if (f.whiteout >= 0 && !(f.dirBelow || opaqueHere)) {
      // A deleted name: further whiteouts below it delete nothing more.
      emit(f, EntryKind.WHITEOUT, 0, f.whiteout, 0);
      if (f.pending != null) {
        f.pending.close();
        f.pending = null;
      }
    } else if (f.whiteout >= 0 || opaqueHere) {
      // A whiteout of a directory this layer fills makes it opaque: it deletes only what is below.
      emit(f, EntryKind.DIRECTORY, OPAQUE_FLAG | IMPLIED_FLAG, -1, f.children);
    } else if (f.children > 0) {
      emit(f, EntryKind.DIRECTORY, IMPLIED_FLAG, -1, f.children);
    } else {
      shown = false;
    }
    if (f.pending != null) {
      f.pending.drainTo(this::release);
      f.pending.close();
    }
    if (shown) {
      parent.children++;
    }
  }

  private void emit(Frame f, EntryKind type, int flags, int position, int children) throws IOException {
    byte[] name = f.path.length == 0 ? f.path : Arrays.copyOfRange(f.path, lastSlash(f.path) + 1, f.path.length);
    byte[] r = new byte[20 + name.length];
    r[0] = (byte) (f.depth >>> 8);
    r[1] = (byte) f.depth;
    for (int i = 0; i < 8; i++) {
      r[2 + i] = (byte) (f.preorder >>> (56 - 8 * i));
    }
    r[10] = (byte) type.ordinal();
    r[11] = (byte) flags;
    putInt(r, 12, position);
    putInt(r, 16, children);
    System.arraycopy(name, 0, r, 20, name.length);
    release(r);
  }

  /**
   * Sends a node to the sort, unless a directory above it may yet turn out to be a deleted name
   * (a whiteout of a name this layer holds nothing in): then it waits for that one's decision.
   */
  private void release(byte[] node) throws IOException {
    for (int i = stack.size() - 1; i >= 1; i--) {
      Frame a = stack.get(i);
      if (undecided(a)) {
        if (a.pending == null) {
          a.pending = new Pending(scratch);
        }
        a.pending.add(node);
        return;
      }
    }
    nodes.add(node);
  }

  private static boolean undecided(Frame f) {
    return f.whiteout >= 0 && !f.real() && !f.dirBelow && !f.opaqueMark && !f.blocked;
  }

  private static int lastSlash(byte[] path) {
    for (int i = path.length - 1; i >= 0; i--) {
      if (path[i] == '/') {
        return i;
      }
    }
    return -1;
  }

  static void putInt(byte[] b, int at, int v) {
    b[at] = (byte) (v >>> 24);
    b[at + 1] = (byte) (v >>> 16);
    b[at + 2] = (byte) (v >>> 8);
    b[at + 3] = (byte) v;
  }

  static int getInt(byte[] b, int at) {
    return ((b[at] & 0xff) << 24) | ((b[at + 1] & 0xff) << 16) | ((b[at + 2] & 0xff) << 8) | (b[at + 3] & 0xff);
  }

  private static void writeInt(DataOutputStream out, int v) throws IOException {
    out.write(v);
    out.write(v >>> 8);
    out.write(v >>> 16);
    out.write(v >>> 24);
  }

  /** Nodes waiting for a directory above them to be decided: in memory, then in a file. */
  private static final class Pending implements Closeable {
    private static final long MEMORY = 1 << 20;
    private final Path scratch;
    private final List<byte[]> held = new ArrayList<>();
    private long bytes;
    private Path file;
    private DataOutputStream out;

    Pending(Path scratch) {
      this.scratch = scratch;
    }

    void add(byte[] node) throws IOException {
      if (out == null && bytes + node.length > MEMORY) {
        file = Files.createTempFile(scratch, "pending-", ".bin");
        out = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(file)));
        for (byte[] n : held) {
          write(n);
        }
        held.clear();
      }
      if (out != null) {
        write(node);
      } else {
        held.add(node);
        bytes += node.length;
      }
    }

    private void write(byte[] n) throws IOException {
      out.writeInt(n.length);
      out.write(n);
    }

    interface Sink {
      void accept(byte[] node) throws IOException;
    }

    void drainTo(Sink sink) throws IOException {
      for (byte[] n : held) {
        sink.accept(n);
      }
      held.clear();
      if (out != null) {
        out.close();
        out = null;
        try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(file)))) {
          while (true) {
            int n;
            try {
              n = in.readInt();
            } catch (EOFException e) {
              break;
            }
            byte[] b = new byte[n];
            in.readFully(b);
            sink.accept(b);
          }
        }
      }
    }

    @Override
    public void close() throws IOException {
      held.clear();
      if (out != null) {
        out.close();
        out = null;
      }
      if (file != null) {
        Files.deleteIfExists(file);
      }
    }
  }
}
