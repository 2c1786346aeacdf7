package dev.strata.build;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.digest.Digest;
import dev.strata.host.HostDir;
import dev.strata.host.Stat;
import dev.strata.layout.Store;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The build's memory of context files' digests: a file is read again whenever it may have
 * changed, and only then; the memory survives between builds and a torn copy of it is ignored.
 */
class FileDigestsTest {
  /** Ten seconds after now: every file of the test looks settled. */
  private static final long LATER = 10_000_000_000L;

  @TempDir Path dir;

  private Store store() throws IOException {
    return Store.open(dir.resolve("store"));
  }

  private Path context() throws IOException {
    Path src = Files.createDirectories(dir.resolve("src/sub"));
    Files.writeString(src.resolve("a.txt"), "alpha\n");
    Files.writeString(src.resolve("b.txt"), "beta\n");
    return src.getParent();
  }

  private static FileDigests settled(FileDigests d) {
    return d.withClock(() -> System.currentTimeMillis() * 1_000_000L + LATER);
  }

  private Stat stat(Path p) throws IOException {
    try (HostDir d = HostDir.open(p.getParent())) {
      return d.stat(p.getFileName().toString());
    }
  }

  @Test
  void keysAreTheSameWithTheMemoryAndWithout() throws Exception {
    Path src = context();
    Store store = store();
    Digest plain = ContentKey.of(src, "/app/", CopyOptions.DEFAULTS, FileDigests.none());
    FileDigests first = settled(FileDigests.load(store));
    assertThat(ContentKey.of(src, "/app/", CopyOptions.DEFAULTS, first)).isEqualTo(plain);
    first.save();
    FileDigests second = FileDigests.load(store);
    assertThat(second.get(stat(src.resolve("sub/a.txt")))).isNotNull();
    assertThat(ContentKey.of(src, "/app/", CopyOptions.DEFAULTS, second)).isEqualTo(plain);
  }

  @Test
  void aRememberedFileIsNotReadAgain() throws Exception {
    Path src = context();
    Path a = src.resolve("sub/a.txt");
    FileDigests digests = settled(FileDigests.load(store()));
    Digest planted = Digest.sha256("not what the file holds".getBytes());
    digests.put(stat(a), planted, digests.now());
    ContentKey.of(src, "/app/", CopyOptions.DEFAULTS, digests);
    // Only the remembered value can make the key: a read would have given the real digest.
    assertThat(digests.get(stat(a))).isEqualTo(planted);
    assertThat(ContentKey.of(src, "/app/", CopyOptions.DEFAULTS, digests))
        .isNotEqualTo(ContentKey.of(src, "/app/", CopyOptions.DEFAULTS, FileDigests.none()));
  }

  @Test
  void aChangeOfTheSameSizeWithTheOldMtimeIsSeen() throws Exception {
    Path src = context();
    Path a = src.resolve("sub/a.txt");
    Files.setLastModifiedTime(a, FileTime.from(Instant.parse("2020-01-01T00:00:00Z")));
    Store store = store();
    FileDigests first = settled(FileDigests.load(store));
    Digest before = ContentKey.of(src, "/app/", CopyOptions.DEFAULTS, first);
    first.save();
    Files.writeString(a, "ALPHA\n"); // same size
    Files.setLastModifiedTime(a, FileTime.from(Instant.parse("2020-01-01T00:00:00Z"))); // same mtime
    FileDigests second = settled(FileDigests.load(store));
    Digest after = ContentKey.of(src, "/app/", CopyOptions.DEFAULTS, second);
    assertThat(after).isNotEqualTo(before)
        .isEqualTo(ContentKey.of(src, "/app/", CopyOptions.DEFAULTS, FileDigests.none()));
  }

  @Test
  void aFileChangedJustBeforeItWasReadIsNotRemembered() throws Exception {
    Path src = context();
    Path a = src.resolve("sub/a.txt");
    FileDigests digests = FileDigests.load(store()); // the real clock: the files are new
    ContentKey.of(src, "/app/", CopyOptions.DEFAULTS, digests);
    assertThat(digests.get(stat(a))).isNull();
    Stat st = stat(a);
    digests.put(st, Digest.sha256(new byte[0]), st.ctimeNanos() + FileDigests.SETTLED_NANOS - 1);
    assertThat(digests.get(st)).isNull();
    digests.put(st, Digest.sha256(new byte[0]), st.ctimeNanos() + FileDigests.SETTLED_NANOS + 1);
    assertThat(digests.get(st)).isNotNull();
  }

  @Test
  void aTornMemoryIsForgottenNotTrusted() throws Exception {
    Path src = context();
    Store store = store();
    FileDigests first = settled(FileDigests.load(store));
    ContentKey.of(src, "/app/", CopyOptions.DEFAULTS, first);
    first.save();
    Path file = store.root().resolve("build-file-digests");
    byte[] whole = Files.readAllBytes(file);
    Files.write(file, java.util.Arrays.copyOf(whole, whole.length - 7));
    assertThat(FileDigests.load(store).get(stat(src.resolve("sub/a.txt")))).isNull();
  }

  @Test
  void noCacheTrustsNothingButRemembers() throws Exception {
    Path src = context();
    Path a = src.resolve("sub/a.txt");
    Store store = store();
    FileDigests first = settled(FileDigests.load(store));
    first.put(stat(a), Digest.sha256("stale".getBytes()), first.now());
    first.save();
    FileDigests fresh = settled(FileDigests.fresh(store));
    assertThat(ContentKey.of(src, "/app/", CopyOptions.DEFAULTS, fresh))
        .isEqualTo(ContentKey.of(src, "/app/", CopyOptions.DEFAULTS, FileDigests.none()));
    fresh.save();
    assertThat(FileDigests.load(store).get(stat(a))).isNotEqualTo(Digest.sha256("stale".getBytes()));
  }
}
