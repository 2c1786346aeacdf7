package dev.strata.volume;

import dev.strata.layout.Store;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/** A fresh store, and its volumes, for each test. */
abstract class VolumeStoreTest {
  @TempDir
  Path dir;

  Store store;
  Volumes volumes;

  @BeforeEach
  void openStore() throws IOException {
    store = Store.open(dir.resolve("store"));
    volumes = new Volumes(store);
  }

  /** Volume {@code name}'s export: the same bytes for the same tree, owners, modes, times, xattrs and links. */
  byte[] exported(String name) throws IOException {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    volumes.export(name, out);
    return out.toByteArray();
  }

  /** What this process has in its staging directory but the file that marks it live. */
  List<String> staged() throws IOException {
    try (Stream<Path> left = Files.list(store.tmp())) {
      return left.map(p -> p.getFileName().toString()).filter(n -> !n.equals("owner")).toList();
    }
  }
}
