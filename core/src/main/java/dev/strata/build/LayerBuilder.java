package dev.strata.build;

import static com.google.common.base.Preconditions.checkArgument;

import dev.strata.host.HostDir;
import dev.strata.image.Compression;
import dev.strata.image.Descriptor;
import dev.strata.image.Layer;
import dev.strata.image.MediaType;
import dev.strata.layer.LayerBlobWriter;
import dev.strata.layer.LayerTarWriter;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Makes one layer: files from bytes or from the host, directories, links and special files,
 * each with the owner, mode and time given; deletions of what the layers below hold
 * (whiteouts); directories that replace theirs below whole (opaque). Paths are paths in the
 * image ({@code /usr/bin/tool}); the directories above an entry that the layer does not
 * describe get {@link FileAttributes#DIRECTORY}. The layer is the same bytes whatever the order
 * of the calls (entries are written sorted) and on every machine (no host owner, no wall clock).
 *
 * <pre>{@code
 * Layer layer = new LayerBuilder()
 *     .file("/etc/motd", "hello\n".getBytes(UTF_8), FileAttributes.mode(0644))
 *     .delete("/usr/share/doc")
 *     .build(BuildOptions.defaults());
 * }</pre>
 */
public final class LayerBuilder {
  private final Draft draft = new Draft();
  private final List<HostDir> opened = new ArrayList<>();
  private final List<String> described = new ArrayList<>();

  /** Adds a regular file holding {@code content}. */
  public LayerBuilder file(String path, byte[] content, FileAttributes attributes) {
    return put(path, fileNode(content, attributes));
  }

  /** A file of {@code content} (copied: the caller may change its array). */
  static Draft.Node fileNode(byte[] content, FileAttributes attributes) {
    byte[] bytes = content.clone();
    return Draft.Node.file(attributes, bytes.length, () -> new ByteArrayInputStream(bytes));
  }

  /** Puts {@code node} at the image path {@code path} of {@code sink}. */
  static void put(EntrySink sink, String path, Draft.Node node) throws IOException {
    sink.put(ImagePaths.normalize(path), node);
  }

  /** Adds a directory (what the layer already put in it stays). */
  public LayerBuilder directory(String path, FileAttributes attributes) {
    return put(path, new Draft.Node(Draft.Kind.DIRECTORY, attributes, null, null, 0, 0));
  }

  /** Adds a symlink to {@code target}, kept as written, never resolved. */
  public LayerBuilder symlink(String path, String target, FileAttributes attributes) {
    checkArgument(target != null && !target.isEmpty() && target.indexOf('\0') < 0, "symlink %s: bad target", path);
    return put(path, new Draft.Node(Draft.Kind.SYMLINK, attributes, null, target, 0, 0));
  }

  /** Adds a second name for the file at {@code target} (of this layer or one below). */
  public LayerBuilder hardlink(String path, String target, FileAttributes attributes) {
    return put(path, Draft.Node.hardlink(attributes, ImagePaths.normalize(target)));
  }

  /** Adds a named pipe. */
  public LayerBuilder fifo(String path, FileAttributes attributes) {
    return put(path, new Draft.Node(Draft.Kind.FIFO, attributes, null, null, 0, 0));
  }

  /** Adds a character device node. */
  public LayerBuilder charDevice(String path, int major, int minor, FileAttributes attributes) {
    return put(path, new Draft.Node(Draft.Kind.CHAR_DEVICE, attributes, null, null, major, minor));
  }

  /** Adds a block device node. */
  public LayerBuilder blockDevice(String path, int major, int minor, FileAttributes attributes) {
    return put(path, new Draft.Node(Draft.Kind.BLOCK_DEVICE, attributes, null, null, major, minor));
  }

  /**
   * Copies the host file or directory {@code source} to {@code dest}: a directory's contents
   * into {@code dest}, a file to {@code dest} (into it when it ends in {@code /}). The host
   * files are read when the layer is built.
   */
  public LayerBuilder copy(Path source, String dest, CopyOptions options) throws IOException {
    opened.add(HostTree.copy(source, ImagePaths.normalize(dest), dest.endsWith("/"), draft, options));
    described.add("COPY " + source.getFileName() + " " + dest);
    return this;
  }

  /** Deletes {@code path} from the layers below (a whiteout), and from this layer. */
  public LayerBuilder delete(String path) {
    draft.delete(ImagePaths.normalize(path));
    described.add("DELETE " + path);
    return this;
  }

  /**
   * Makes the directory {@code path} hide everything the layers below hold in it: what this
   * layer puts there is then all it holds.
   */
  public LayerBuilder replaceDirectory(String path) {
    draft.opaque(ImagePaths.normalize(path));
    described.add("REPLACE " + path);
    return this;
  }

  /** Whether nothing was added, deleted or replaced. */
  public boolean isEmpty() {
    return draft.isEmpty();
  }

  /** Says what the layer does, for its history entry: the same whatever the order of the calls. */
  public String describe() {
    return described.stream().sorted().collect(java.util.stream.Collectors.joining("; "));
  }

  private LayerBuilder put(String path, Draft.Node node) {
    draft.put(ImagePaths.normalize(path), node);
    described.add(node.kind.name() + " " + path);
    return this;
  }

  /**
   * Writes the layer, compressed as {@code options} say, into a file of {@code options}'
   * scratch directory, and returns it with its digests. The host files copied are read now.
   */
  public Layer build(BuildOptions options) throws IOException {
    try {
      return write(draft, options);
    } finally {
      for (HostDir dir : opened) {
        dir.close();
      }
      opened.clear();
    }
  }

  /** Writes {@code draft} as a layer file of {@code options}' scratch directory. */
  static Layer write(Draft draft, BuildOptions options) throws IOException {
    Path file = Files.createTempFile(Scratch.directory(options), "layer-", ".tar");
    try {
      LayerBlobWriter.Written written = LayerBlobWriter.write(file, options.compression(), options.level(),
          tar(draft, options));
      Descriptor descriptor = Descriptor.of(mediaType(options), written.digest(), written.size());
      return Layer.of(descriptor, written.diffId(), () -> Files.newInputStream(file));
    } catch (IOException | RuntimeException e) {
      Files.deleteIfExists(file);
      throw e;
    }
  }

  /** The tar of {@code draft}, its times as {@code options} say. */
  static LayerBlobWriter.TarBody tar(Draft draft, BuildOptions options) {
    return out -> {
      try (LayerTarWriter tar = new LayerTarWriter(out)) {
        draft.write(tar, options.timestamp());
      }
    };
  }

  /** The media type of a new layer in the format and compression of {@code options}. */
  static String mediaType(BuildOptions options) {
    if (options.format() == BuildOptions.Format.DOCKER) {
      return options.compression() == Compression.GZIP ? MediaType.DOCKER_LAYER_GZIP : MediaType.DOCKER_LAYER;
    }
    return MediaType.ociLayer(options.compression());
  }
}
