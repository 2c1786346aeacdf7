package dev.strata.layer;

import dev.strata.digest.Digest;
import dev.strata.digest.DigestingInputStream;
import dev.strata.host.Names;
import dev.strata.image.Compression;
import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * What each reader makes of one layer blob, in one form so that readings compare line for line:
 * Strata's ingest, GNU tar (what its extraction makes, with the owner names its listing shows)
 * and Python's tarfile. An entry is a line "path type mode uid gid owner mtime size link content
 * device group", '-' where a field does not apply; a hard link is shown as the file it names (the
 * inode extraction makes), its group the least of its names. Lines are sorted: extraction keeps
 * no order.
 */
final class TarReadings {
  /** How a Strata reading shows a failure that is not a refused layer, a fault of its own. */
  static final String NOT_A_REFUSAL = "not an UnsafeLayerException: ";

  private TarReadings() {}

  /** The entries a reader gave, or its refusal. */
  record Reading(List<String> entries, String error) {
    static Reading refused(String error) {
      return new Reading(List.of(), error);
    }

    boolean ok() {
      return error == null;
    }

    @Override
    public String toString() {
      return ok() ? String.join("\n", entries) : "refused: " + error;
    }
  }

  /** Strata's reading: the blob decompressed as its label says and ingested. */
  static Reading strata(byte[] blob, Compression compression) {
    LayerIngest.Result result;
    try (InputStream tar = LayerStreams.decompress(new ByteArrayInputStream(blob), compression)) {
      result = LayerIngest.ingest(tar, TarReadings::hash, LowerFiles.NONE, IngestLimits.DEFAULT);
    } catch (UnsafeLayerException e) {
      return Reading.refused(e.getMessage());
    } catch (IOException e) {
      return Reading.refused(NOT_A_REFUSAL + e);
    }
    Map<String, LayerEntry> byPath = new HashMap<>();
    Map<Integer, String> groupNames = new HashMap<>();
    for (LayerEntry e : result.entries()) {
      byPath.put(e.path(), e);
      if (e.linkGroup() != 0) {
        groupNames.merge(e.linkGroup(), e.path(), (a, b) -> Names.compare(a, b) <= 0 ? a : b);
      }
    }
    List<String> lines = new ArrayList<>();
    for (LayerEntry e : result.entries()) {
      if (e.path().isEmpty()) {
        continue;
      }
      LayerEntry t = e;
      while (t.kind() == EntryKind.HARDLINK) {
        t = byPath.get(t.linkTarget()); // the inode's metadata is its first name's, as extraction makes it
      }
      char type = switch (t.kind()) {
        case DIRECTORY -> 'd';
        case SYMLINK -> 'l';
        case CHAR_DEVICE -> 'c';
        case BLOCK_DEVICE -> 'b';
        case FIFO -> 'p';
        default -> '-';
      };
      String owner = (t.uname().isEmpty() ? String.valueOf(t.uid()) : t.uname()) + "/"
          + (t.gname().isEmpty() ? String.valueOf(t.gid()) : t.gname());
      lines.add(line(e.path(), type, t.mode(), t.uid(), t.gid(), owner, t.mtimeSeconds(), t.size(), t.linkTarget(),
          t.object() == null ? null : t.object().hex(), t.devMajor() + "," + t.devMinor(),
          e.linkGroup() == 0 ? null : groupNames.get(e.linkGroup())));
    }
    return sorted(lines);
  }

  /**
   * GNU tar's reading: what {@code tar -x} makes of the blob in an empty directory (as root:
   * owners and modes as the archive says), with the owner names {@code tar -tv} prints. Either
   * exiting non-zero is a refusal; a warning with status 0 is not.
   */
  static Reading gnuTar(Path blob, Path work) throws IOException, InterruptedException {
    Path out = Files.createDirectories(work.resolve("gnu-tar"));
    TarPeers.Output extract = TarPeers.run(work, "tar", "--numeric-owner", "-xf", blob.toString(), "-C", out.toString());
    TarPeers.Output listing = TarPeers.run(work, "tar", "--quoting-style=escape", "-tvf", blob.toString());
    if (extract.exit() != 0 || listing.exit() != 0) {
      return Reading.refused("exit " + extract.exit() + ": " + extract.err() + " / listing exit " + listing.exit());
    }
    // A hard link's own header names an owner extraction never sets: the inode's is its file's.
    Map<String, String> owners = new LinkedHashMap<>();
    java.util.Set<String> members = new java.util.HashSet<>();
    for (String row : new String(listing.out(), StandardCharsets.US_ASCII).split("\n")) {
      String[] f = row.split(" +", 6);
      if (f.length < 6) {
        continue;
      }
      String name = f[5];
      for (String arrow : new String[] {" -> ", " link to "}) {
        int at = name.indexOf(arrow);
        name = at >= 0 ? name.substring(0, at) : name;
      }
      String member = normalize(Names.decode(TarPeers.unescape(name)));
      members.add(member);
      if (!f[0].startsWith("h")) {
        owners.put(member, f[1]);
      }
    }
    Map<Object, List<String>> inodes = new HashMap<>();
    Map<String, Map<String, Object>> stats = new TreeMap<>(Names.BYTE_ORDER);
    try (Stream<Path> walk = Files.walk(out)) {
      for (Path p : (Iterable<Path>) walk::iterator) {
        String name = Names.decode(Names.encode(out.relativize(p).toString()));
        if (!members.contains(name)) {
          continue; // the extraction directory, or a parent GNU tar made for a member
        }
        Map<String, Object> st = Files.readAttributes(p, "unix:*", LinkOption.NOFOLLOW_LINKS);
        stats.put(name, st);
        inodes.computeIfAbsent(st.get("ino"), k -> new ArrayList<>()).add(name);
      }
    }
    List<String> lines = new ArrayList<>();
    for (Map.Entry<String, Map<String, Object>> s : stats.entrySet()) {
      Map<String, Object> st = s.getValue();
      Path p = out.resolve(s.getKey());
      int mode = (Integer) st.get("mode");
      char type = switch (mode & 0170000) {
        case 0040000 -> 'd';
        case 0120000 -> 'l';
        case 0020000 -> 'c';
        case 0060000 -> 'b';
        case 0010000 -> 'p';
        case 0100000 -> '-';
        default -> '?';
      };
      long rdev = (Long) st.get("rdev");
      List<String> names = inodes.get(st.get("ino"));
      String owner = names.stream().map(owners::get).filter(java.util.Objects::nonNull).findFirst().orElse("?");
      lines.add(line(s.getKey(), type, mode & 07777, Integer.toUnsignedLong((Integer) st.get("uid")),
          Integer.toUnsignedLong((Integer) st.get("gid")), owner, ((FileTime) st.get("lastModifiedTime")).toInstant().getEpochSecond(),
          (Long) st.get("size"), type == 'l' ? Names.decode(Names.encode(Files.readSymbolicLink(p).toString())) : null,
          type == '-' ? Digest.sha256(Files.readAllBytes(p)).hex() : null,
          ((rdev >>> 8) & 0xfff | (rdev >>> 32) & ~0xfffL) + "," + ((rdev & 0xff) | ((rdev >>> 12) & ~0xffL)),
          names.size() > 1 ? names.stream().min(Names.BYTE_ORDER).get() : null));
    }
    return sorted(lines);
  }

  /** Python's tarfile's reading (gzip too, which it detects), or its refusal. */
  static Reading tarfile(Path blob, Path work) throws IOException, InterruptedException {
    Path script = work.resolve("tarfile_reading.py");
    if (!Files.exists(script)) {
      try (InputStream in = TarReadings.class.getResourceAsStream("tarfile_reading.py")) {
        Files.copy(in, script);
      }
    }
    TarPeers.Output o = TarPeers.run(work, "python3", script.toString(), blob.toString());
    if (o.exit() != 0) {
      return Reading.refused(o.err());
    }
    List<String> lines = new ArrayList<>();
    for (String row : Names.decode(o.out()).split("\n")) {
      if (!row.isEmpty()) {
        lines.add(row);
      }
    }
    return sorted(lines);
  }

  private static String line(String path, char type, int mode, long uid, long gid, String owner, long mtime,
      long size, String link, String contentHex, String device, String group) {
    return String.join(" ", path, String.valueOf(type), type == 'l' ? "-" : Integer.toOctalString(mode),
        String.valueOf(uid), String.valueOf(gid), owner, String.valueOf(mtime), String.valueOf(type == '-' ? size : 0),
        type == 'l' ? link : "-", type == '-' ? contentHex.substring(0, 16) : "-",
        type == 'c' || type == 'b' ? device : "-", group == null ? "-" : group);
  }

  private static Reading sorted(List<String> lines) {
    lines.sort(Names.BYTE_ORDER);
    return new Reading(List.copyOf(lines), null);
  }

  private static String normalize(String member) {
    String name = member;
    while (name.startsWith("./")) {
      name = name.substring(2);
    }
    return name.replaceAll("/+$", "");
  }

  private static Digest hash(InputStream in, long size) throws IOException {
    DigestingInputStream digesting = DigestingInputStream.sha256(in);
    byte[] buffer = new byte[1 << 16];
    for (long left = size; left > 0; ) {
      int n = digesting.read(buffer, 0, (int) Math.min(buffer.length, left));
      if (n < 0) {
        throw new EOFException("content ended " + left + " bytes early");
      }
      left -= n;
    }
    return digesting.digest();
  }

}
