package dev.strata.layer;

import java.util.Map;

/**
 * What the headers before an entry's data say the entry is, once: its header block with the
 * GNU long name and link ('L', 'K') and the PAX records (global, then its own) applied, as
 * GNU tar applies them. Every field of an entry Strata keeps is read from here, never from the
 * tar library's own reading.
 *
 * @param at the byte offset of the entry's own header block
 * @param type the type flag of that block
 * @param name the entry's name: GNU.sparse.name, the PAX path, the long name or the header's
 * @param nameFromBlock whether the name is the header block's own (the old convention of a
 *     directory as a file whose name ends in '/' is a property of that field)
 * @param link the PAX linkpath, the long link name or the header's link name
 * @param size the bytes of data that follow the header (a sparse file's stored bytes)
 * @param records the PAX records that apply, global ones overridden by the entry's own, raw
 */
record TarEntryHeader(long at, char type, String name, boolean nameFromBlock, String link, int mode, long uid,
    long gid, String uname, String gname, long mtimeSeconds, int mtimeNanos, long size, int devMajor, int devMinor,
    Map<String, byte[]> records) {

  /** Names this entry and where its header is, for a message. */
  String where() {
    return TarHeader.where(name, at);
  }

  /** A refusal of this entry. */
  UnsafeLayerException refused(String problem) {
    return TarHeader.refusal(name, at, problem);
  }
}
