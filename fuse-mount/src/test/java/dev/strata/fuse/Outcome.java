package dev.strata.fuse;

import dev.strata.host.Errno;
import dev.strata.host.ErrnoException;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.util.Map;

/** What one operation gave: a value, or the errno it failed with. */
record Outcome(String errno, String value) {
  private static final Map<String, Errno> STRERROR = Map.ofEntries(
      Map.entry("No such file or directory", Errno.ENOENT),
      Map.entry("File exists", Errno.EEXIST),
      Map.entry("Not a directory", Errno.ENOTDIR),
      Map.entry("Is a directory", Errno.EISDIR),
      Map.entry("Directory not empty", Errno.ENOTEMPTY),
      Map.entry("Invalid argument", Errno.EINVAL),
      Map.entry("Operation not permitted", Errno.EPERM),
      Map.entry("Permission denied", Errno.EACCES),
      Map.entry("Too many levels of symbolic links", Errno.ELOOP),
      Map.entry("No data available", Errno.ENODATA),
      Map.entry("Invalid cross-device link", Errno.EXDEV),
      Map.entry("File name too long", Errno.ENAMETOOLONG));

  static Outcome ok(String value) {
    return new Outcome("OK", value);
  }

  static Outcome error(Errno e) {
    return new Outcome(e.name(), null);
  }

  static Outcome errno(int number) {
    return error(Errno.of(number));
  }

  /** The errno an exception from java.nio or the engine stands for. */
  static Outcome of(Exception e) {
    if (e instanceof ErrnoException u) {
      return error(u.errno());
    }
    if (e instanceof NoSuchFileException) {
      return error(Errno.ENOENT);
    }
    if (e instanceof FileAlreadyExistsException) {
      return error(Errno.EEXIST);
    }
    if (e instanceof DirectoryNotEmptyException) {
      return error(Errno.ENOTEMPTY);
    }
    if (e instanceof NotDirectoryException) {
      return error(Errno.ENOTDIR);
    }
    if (e instanceof java.nio.file.NotLinkException) {
      return error(Errno.EINVAL);
    }
    if (e instanceof AccessDeniedException) {
      return error(Errno.EACCES);
    }
    if (e instanceof FileSystemException f && f.getReason() != null && STRERROR.containsKey(f.getReason())) {
      return error(STRERROR.get(f.getReason()));
    }
    return new Outcome("UNEXPECTED " + e, null);
  }

  @Override
  public String toString() {
    return value == null ? errno : errno + " " + value;
  }
}
