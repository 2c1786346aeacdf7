package dev.strata.layer;

import java.nio.charset.StandardCharsets;

/**
 * The layout of a layer index file, version 2: made to be read in place (memory-mapped), so
 * that opening an index reads its header alone and a lookup reads a few pages.
 *
 * <pre>
 * header (136 bytes, little-endian):
 *   "STRATAIX" version(1 byte: 2) 0(7)  tarSize  entries  nodes  groups   (8 bytes each)
 *   the offsets of the sections below and of their end (11 x 8 bytes)
 * RECORDS    the tar's entries in tar order, each of varints:
 *              path (offset in PATHS, length)  kind mode uid gid uname gname mtime(zigzag) nanos size group
 *              [file: 1 + its object's number in OBJECTS, 0 for none]  [hard link: the same, of
 *              the file below when it is its group's first name, else 0]  [symlink, hard link:
 *              target]  [device: major minor]
 *              xattrs: count (name value)*
 *            a string (uname, gname, xattr name) is 2i for the i-th of STRINGS, or 2n+1 and n bytes
 * RECORD_AT  where each record starts (8 bytes each)
 * PATHS      the entries' paths, bytes
 * BY_PATH    the entries' positions (4 bytes each) in {@link PathOrder} of their paths
 * NODES      the tree a union shows (24 bytes each), breadth-first, each directory's children
 *            together and sorted by name:  name offset in NAMES (6 bytes) and length (2),
 *            first child (4), child count (4), own entry's position or -1 (4), kind (1),
 *            flags (1: 1 opaque, 2 implied), 0 (2); the root is node 0
 * NAMES      the nodes' names, bytes
 * GROUPS     per hard-link group from 1: its first name's position (4), its count of names (4)
 * OBJECTS    sha256 digests (32 bytes each) of regular files' contents, apart from the records
 *            so that a walk, which reads records, does not read them; a digest met again among
 *            the last few thousand is written once (a layer of many empty files has one)
 * STRINGS    count, then each string (length, bytes): names of owners and xattrs, few and reused
 * DIFF_ID    algorithm (length, bytes) and digest bytes
 * sha256 of everything above
 * </pre>
 * A hard link that holds no object shows its group's first name's. What a node shows of a
 * hard-linked file is its group's first name; its identity is that name's position + 1 (an
 * implied directory's: entries + 1 + its node number), the same as version 1 gave, so that an
 * upper's index of hard-linked files made before still names the same files. Version 1 (one
 * compressed list, read whole) is still read: {@link IndexCodec}.
 */
final class IndexFormat {
  static final byte[] MAGIC = "STRATAIX".getBytes(StandardCharsets.US_ASCII);
  static final int VERSION = 2;
  static final int HEADER = 136;
  static final int NODE = 24;

  static final int RECORDS = 0;
  static final int RECORD_AT = 1;
  static final int PATHS = 2;
  static final int BY_PATH = 3;
  static final int NODES = 4;
  static final int NAMES = 5;
  static final int GROUPS = 6;
  static final int OBJECTS = 7;
  static final int STRINGS = 8;
  static final int DIFF_ID = 9;
  static final int END = 10;
  static final int SECTIONS = 11;

  static final int OPAQUE = 1;
  static final int IMPLIED = 2;

  private IndexFormat() {}
}
