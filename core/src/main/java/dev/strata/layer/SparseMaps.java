package dev.strata.layer;

import dev.strata.host.Names;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * The maps of GNU sparse files, checked where readers rebuild the file otherwise than each
 * other: GNU tar reads the pieces in map order, each but the last from blocks of its own, where
 * Python's tarfile and the tar library read them one after another (and the library sorts them
 * by offset first). A map that GNU tar writes (pieces in order, whole blocks but the last) reads
 * the same everywhere; any other is refused.
 */
final class SparseMaps {
  private static final int BLOCK = 512;

  private SparseMaps() {}

  /**
   * Refuses a PAX header's GNU.sparse records (formats 0.0, 0.1 and 1.0) that are not numbers,
   * a map being numbers between commas: the tar library parses them as the header passes and
   * would refuse them in words of its own. {@code where} names the entry for the message.
   */
  static void checkRecords(Map<String, byte[]> records, String where) throws UnsafeLayerException {
    for (Map.Entry<String, byte[]> r : records.entrySet()) {
      String key = r.getKey();
      boolean noPieces = key.equals("GNU.sparse.map") && r.getValue().length == 0;
      if (!key.startsWith("GNU.sparse.") || key.equals("GNU.sparse.name") || noPieces) {
        continue;
      }
      for (String part : Names.decode(r.getValue()).split(",", -1)) {
        try {
          TarNumbers.decimal(part.getBytes(StandardCharsets.ISO_8859_1), Long.MAX_VALUE);
        } catch (TarNumbers.NotANumber e) {
          throw new UnsafeLayerException(where + ": its PAX record " + key + "='"
              + UnsafeLayerException.printable(Names.decode(r.getValue())) + "' holds " + e.getMessage());
        }
      }
    }
  }

  /**
   * Returns what is wrong with a sparse map, its pieces (offset, length) in the order the
   * archive lists them, for a file of {@code realSize} bytes; null if every reader rebuilds it
   * alike.
   */
  static String problem(List<long[]> listed, long realSize) {
    // An old GNU header ('S') has four slots whatever it needs: the unused ones are (0, 0).
    List<long[]> pieces = listed.stream().filter(p -> p[0] != 0 || p[1] != 0).toList();
    int lastData = -1;
    for (int i = 0; i < pieces.size(); i++) {
      if (pieces.get(i)[1] > 0) {
        lastData = i;
      }
    }
    long end = 0;
    for (int i = 0; i < pieces.size(); i++) {
      long offset = pieces.get(i)[0];
      long length = pieces.get(i)[1];
      if (offset < end) {
        return "piece " + (i + 1) + " starts at " + offset + ", before the end of the piece before it (" + end
            + "): GNU tar reads the pieces in order, the tar library sorts them";
      }
      if (length > 0 && i < lastData && length % BLOCK != 0) {
        return "piece " + (i + 1) + " holds " + length + " bytes, not whole 512-byte blocks: GNU tar reads each"
            + " piece but the last from blocks of its own, Python's tarfile and the tar library from where the"
            + " piece before it ended";
      }
      end = offset + length;
      if (end < 0) {
        return "piece " + (i + 1) + " ends past 2^63";
      }
    }
    if (end > realSize) {
      return "its pieces end at " + end + ", past the file's " + realSize + " bytes";
    }
    return null;
  }
}
