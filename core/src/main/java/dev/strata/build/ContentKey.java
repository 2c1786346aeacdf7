package dev.strata.build;

import dev.strata.digest.Digest;
import dev.strata.digest.DigestingInputStream;
import dev.strata.host.Names;
import dev.strata.host.Stat;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

/**
 * The digest of what a copy would put into an image: each entry's path, type, owner, mode, link
 * target, device numbers and content, not its time, so a build cache sees a changed file and not
 * a touched one (a step found in the cache keeps the times of the build that ran it, as
 * buildah's cache does). Taken by the walk the copy itself makes
 * ({@link HostTree}), so the two never disagree on what is copied.
 */
final class ContentKey implements EntrySink {
  private final TreeMap<String, String> lines = new TreeMap<>(Names.BYTE_ORDER);
  private final FileDigests digests;

  private ContentKey(FileDigests digests) {
    this.digests = digests;
  }

  /**
   * Returns the key of copying {@code source} to {@code dest} with {@code options}, the contents
   * of host files unchanged since {@code digests} saw them taken from there.
   */
  static Digest of(Path source, String dest, CopyOptions options, FileDigests digests) throws IOException {
    try (HostTree tree = HostTree.walk(source, options)) {
      return of(tree, dest, digests);
    }
  }

  /** Returns the key of copying what {@code tree} found to {@code dest}. */
  static Digest of(HostTree tree, String dest, FileDigests digests) throws IOException {
    ContentKey key = new ContentKey(digests);
    tree.copyTo(ImagePaths.normalize(dest), dest.endsWith("/"), key);
    StringBuilder all = new StringBuilder();
    for (Map.Entry<String, String> e : key.lines.entrySet()) {
      all.append(Names.printable(e.getKey())).append('\0').append(e.getValue()).append('\n');
    }
    return Digest.sha256(all.toString().getBytes(StandardCharsets.UTF_8));
  }

  @Override
  public void put(String path, Draft.Node node) throws IOException {
    FileAttributes a = node.attributes;
    StringBuilder line = new StringBuilder()
        .append(node.kind).append(' ').append(Integer.toOctalString(a.mode())).append(' ')
        .append(a.uid()).append(':').append(a.gid()).append(' ')
        .append(node.major).append(',').append(node.minor).append(' ')
        .append(node.link != null ? Names.printable(node.link) : "-");
    if (node.content != null) {
      line.append(' ').append(digest(node.content));
    }
    lines.put(path, line.toString());
  }

  private Digest digest(Draft.Content content) throws IOException {
    Stat st = content.hostStat();
    Digest known = st != null ? digests.get(st) : null;
    if (known != null) {
      return known;
    }
    long readAt = digests.now();
    try (InputStream in = content.open(); DigestingInputStream d = DigestingInputStream.sha256(in)) {
      d.transferTo(java.io.OutputStream.nullOutputStream());
      Digest digest = d.digest();
      if (st != null) {
        digests.put(st, digest, readAt);
      }
      return digest;
    }
  }
}
