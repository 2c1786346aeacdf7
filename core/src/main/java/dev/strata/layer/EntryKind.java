package dev.strata.layer;

/** What one entry of a layer is. Whiteouts and opaque markers are entries of their own. */
public enum EntryKind {
  FILE('-'),
  DIRECTORY('d'),
  SYMLINK('l'),
  HARDLINK('h'),
  CHAR_DEVICE('c'),
  BLOCK_DEVICE('b'),
  FIFO('p'),
  /** {@code .wh.NAME}: NAME is deleted from the layers below. */
  WHITEOUT('-'),
  /** {@code .wh..wh..opq}: the directory hides everything the layers below put in it. */
  OPAQUE('-');

  private final char lsType;

  EntryKind(char lsType) {
    this.lsType = lsType;
  }

  /** Returns the type letter {@code ls -l} and {@code tar -tv} print. */
  public char lsType() {
    return lsType;
  }

  /** Returns whether this kind marks a deletion rather than content. */
  public boolean isWhiteout() {
    return this == WHITEOUT || this == OPAQUE;
  }
}
