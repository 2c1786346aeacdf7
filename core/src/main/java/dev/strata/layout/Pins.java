package dev.strata.layout;

import dev.strata.digest.Digest;
import dev.strata.image.Descriptor;
import java.io.IOException;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * Images in use by mounts: {@code pins/ID}, one file per mount, naming the image's manifest and
 * who uses it, with an fcntl lock on it held by the mount's process for as long as it runs.
 *
 * <p>A mount reads its image's layers, indexes and file objects from the store for hours; gc
 * must neither remove them (the image may be untagged meanwhile) nor wait for the mount to end.
 * So a live pin is a root for gc, like a tag, and gc leaves in place the packs that hold pinned
 * objects (a repack would move bytes a mount is about to read). A pin whose lock anybody can
 * take belongs to a process that is gone and is removed by gc.
 *
 * <p>A pin is made while its maker holds the store lock shared, and is locked before that lock is
 * released: gc, which holds the store lock exclusively when it reads pins, sees every pin locked.
 */
final class Pins {
  /**
   * This process's pins. Never opened again by this process while held: closing any descriptor
   * of a file drops every fcntl lock the process has on it.
   */
  private static final java.util.Map<Path, Live> OWN = new java.util.concurrent.ConcurrentHashMap<>();

  private Pins() {}

  /** A pin on one image; close removes it. */
  static final class Pin implements Store.Lock {
    private final Path file;
    private final FileChannel channel;
    private boolean closed;

    private Pin(Path file, FileChannel channel) {
      this.file = file;
      this.channel = channel;
    }

    @Override
    public synchronized void close() {
      if (closed) {
        return;
      }
      closed = true;
      OWN.remove(file);
      try {
        Files.deleteIfExists(file);
        channel.close();
      } catch (IOException e) {
        throw new UncheckedIOException("cannot remove pin " + file, e);
      }
    }
  }

  /** One mount's pin, as gc reads it. */
  record Live(Descriptor manifest, String holder) {}

  static Path dir(Store store) {
    return store.root().resolve("pins");
  }

  /** Pins {@code manifest} for {@code holder} (a few words: which mount, where, which process). */
  static Pin hold(Store store, Descriptor manifest, String holder) throws IOException {
    Path file = Files.createDirectories(dir(store)).resolve(UUID.randomUUID().toString());
    FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
    try {
      ch.lock();
      Properties p = new Properties();
      p.setProperty("digest", manifest.digest().toString());
      p.setProperty("size", Long.toString(manifest.size()));
      if (manifest.mediaType() != null) {
        p.setProperty("mediaType", manifest.mediaType());
      }
      p.setProperty("holder", holder + ", pid " + ProcessHandle.current().pid());
      java.io.StringWriter text = new java.io.StringWriter();
      p.store(text, null);
      ch.write(ByteBuffer.wrap(text.toString().getBytes(StandardCharsets.UTF_8)));
      OWN.put(file, new Live(manifest, p.getProperty("holder")));
      return new Pin(file, ch);
    } catch (IOException | RuntimeException e) {
      ch.close();
      Files.deleteIfExists(file);
      throw e;
    }
  }

  /**
   * Returns the live pins, removing those of processes that are gone (with {@code dryRun},
   * leaving them). Call under the store's exclusive lock.
   */
  static List<Live> collect(Store store, boolean dryRun) throws IOException {
    List<Live> live = new ArrayList<>();
    Path dir = dir(store);
    if (!Files.isDirectory(dir)) {
      return live;
    }
    List<Path> files;
    try (Stream<Path> list = Files.list(dir)) {
      files = list.toList();
    }
    for (Path file : files) {
      Live mine = OWN.get(file);
      if (mine != null) {
        live.add(mine);
        continue;
      }
      try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
        FileLock lock = ch.tryLock();
        if (lock != null) {
          if (!dryRun) {
            Files.deleteIfExists(file);
          }
          continue;
        }
        Properties p = new Properties();
        ByteBuffer text = ByteBuffer.allocate((int) Math.min(ch.size(), 1 << 16));
        while (text.hasRemaining() && ch.read(text, text.position()) > 0) {
          // read it all through this descriptor
        }
        p.load(new StringReader(new String(text.array(), 0, text.position(), StandardCharsets.UTF_8)));
        Descriptor manifest = Descriptor.of(p.getProperty("mediaType"), Digest.parse(p.getProperty("digest")),
            Long.parseLong(p.getProperty("size", "0")));
        live.add(new Live(manifest, p.getProperty("holder", "a mount")));
      } catch (NoSuchFileException gone) {
        // its mount ended meanwhile
      } catch (IllegalArgumentException unreadable) {
        // A pin is written whole before its maker releases the store lock; one that cannot be
        // read was not made by Strata. It keeps nothing alive.
      }
    }
    return live;
  }
}
