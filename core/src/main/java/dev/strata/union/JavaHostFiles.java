package dev.strata.union;

import dev.strata.host.ErrnoException;
import dev.strata.host.Errno;
import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileStore;
import java.nio.file.FileSystemException;
import java.nio.file.FileSystemLoopException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.NotLinkException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;

/**
 * The host calls as far as the JDK can make them, for hosts without the native implementation.
 * What it cannot do, and what it does instead:
 *
 * <ul>
 *   <li>No device nodes, fifos or sockets: {@link #canMknod} is false and {@link #mknod} fails
 *       with EPERM, what the kernel answers an unprivileged mknod; the engine writes {@code .wh.}
 *       whiteout files instead.
 *   <li>Only {@code user.*} xattrs, and only on regular files and directories (where Linux allows
 *       them): other namespaces are invisible (getxattr null, listxattr leaves them out) and
 *       setxattr of one fails with EOPNOTSUPP; on other file types getxattr is null, listxattr
 *       empty, setxattr EPERM. The overlay's own xattrs are therefore {@code user.overlay.*}.
 *   <li>Times on a symlink are set to the microsecond: the JDK uses lutimes(3) there. A time
 *       before 1970 is set to the whole second below it (the JDK would set 1970 for a fraction).
 *       Times on a device node fail with EOPNOTSUPP, since the JDK would open the device to set
 *       them.
 *   <li>rename with RENAME_NOREPLACE checks then renames, and RENAME_EXCHANGE is three renames
 *       through a temporary name in the target's directory: neither is atomic, so a concurrent
 *       writer of the same names, or a crash in between, can see the halfway state.
 *       RENAME_WHITEOUT fails with EINVAL.
 *   <li>No reflinks: {@link #cloneFile} is false. statfs knows no inode counts (reported 0).
 * </ul>
 *
 * Every failure is a {@link ErrnoException} with the errno the kernel gave, as far as the JDK
 * tells it.
 */
public final class JavaHostFiles implements HostFiles {
  private static final String USER = "user.";
  private static final LinkOption[] NOFOLLOW = {LinkOption.NOFOLLOW_LINKS};
  /** The strerror(3) texts that the JDK puts at the end of a FileSystemException's reason. */
  private static final ImmutableMap<String, Errno> REASONS = ImmutableMap.<String, Errno>builder()
      .put("Operation not permitted", Errno.EPERM)
      .put("No such file or directory", Errno.ENOENT)
      .put("Permission denied", Errno.EACCES)
      .put("Device or resource busy", Errno.EBUSY)
      .put("File exists", Errno.EEXIST)
      .put("Invalid cross-device link", Errno.EXDEV)
      .put("Not a directory", Errno.ENOTDIR)
      .put("Is a directory", Errno.EISDIR)
      .put("Invalid argument", Errno.EINVAL)
      .put("File too large", Errno.EFBIG)
      .put("No space left on device", Errno.ENOSPC)
      .put("Disk quota exceeded", Errno.ENOSPC)
      .put("Read-only file system", Errno.EROFS)
      .put("Too many links", Errno.EMLINK)
      .put("Numerical result out of range", Errno.ERANGE)
      .put("Argument list too long", Errno.ERANGE)
      .put("File name too long", Errno.ENAMETOOLONG)
      .put("Directory not empty", Errno.ENOTEMPTY)
      .put("Too many levels of symbolic links", Errno.ELOOP)
      .put("No data available", Errno.ENODATA)
      .put("Operation not supported", Errno.EOPNOTSUPP)
      .buildOrThrow();

  /** The one instance; it holds no state. */
  public static final JavaHostFiles INSTANCE = new JavaHostFiles();

  private JavaHostFiles() {}

  @Override
  public boolean canMknod() {
    return false;
  }

  /** Root can chown even where the JDK cannot mknod. */
  @Override
  public boolean canChown() {
    try {
      return ((Integer) Files.getAttribute(java.nio.file.Path.of("/proc/self"), "unix:uid")) == 0;
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }

  @Override
  public String overlayXattrPrefix() {
    return LowerPaths.USER_OVERLAY;
  }

  @Override
  public void mknod(Path path, int mode, int major, int minor) throws IOException {
    throw new ErrnoException(Errno.EPERM, path + ": the JDK cannot create device nodes, fifos or sockets");
  }

  @Override
  public byte[] getxattr(Path path, String name) throws IOException {
    if (!name.startsWith(USER) || !holdsUserXattrs(path)) {
      return null;
    }
    try {
      UserDefinedFileAttributeView view = userView(path);
      String key = name.substring(USER.length());
      ByteBuffer value = ByteBuffer.allocate(view.size(key));
      int n = view.read(key, value);
      return n == value.capacity() ? value.array() : Arrays.copyOf(value.array(), n);
    } catch (IOException e) {
      ErrnoException u = toUnion(e);
      if (u.errno() == Errno.ENODATA) {
        return null;
      }
      throw u;
    }
  }

  @Override
  public void setxattr(Path path, String name, byte[] value) throws IOException {
    if (!name.startsWith(USER)) {
      throw new ErrnoException(Errno.EOPNOTSUPP, path + ": the JDK can set only user.* xattrs, not " + name);
    }
    if (!holdsUserXattrs(path)) {
      throw new ErrnoException(Errno.EPERM, path + ": user xattrs are for regular files and directories only");
    }
    try {
      userView(path).write(name.substring(USER.length()), ByteBuffer.wrap(value));
    } catch (IOException e) {
      throw toUnion(e);
    }
  }

  @Override
  public boolean removexattr(Path path, String name) throws IOException {
    if (!name.startsWith(USER) || !holdsUserXattrs(path)) {
      return false;
    }
    try {
      userView(path).delete(name.substring(USER.length()));
      return true;
    } catch (IOException e) {
      ErrnoException u = toUnion(e);
      if (u.errno() == Errno.ENODATA) {
        return false;
      }
      throw u;
    }
  }

  @Override
  public List<String> listxattr(Path path) throws IOException {
    if (!holdsUserXattrs(path)) {
      return ImmutableList.of();
    }
    try {
      return userView(path).list().stream().map(n -> USER + n).collect(ImmutableList.toImmutableList());
    } catch (IOException e) {
      throw toUnion(e);
    }
  }

  @Override
  public void lchown(Path path, long uid, long gid) throws IOException {
    try {
      if (uid != -1) {
        Files.setAttribute(path, "unix:uid", (int) uid, NOFOLLOW);
      }
      if (gid != -1) {
        Files.setAttribute(path, "unix:gid", (int) gid, NOFOLLOW);
      }
    } catch (IOException e) {
      throw toUnion(e);
    }
  }

  @Override
  public void chmod(Path path, int mode) throws IOException {
    try {
      if (Files.isSymbolicLink(path)) {
        throw new ErrnoException(Errno.EOPNOTSUPP, path + ": a symlink has no mode of its own");
      }
      // Without NOFOLLOW_LINKS the JDK calls chmod(2) on the path; with it, the JDK opens the
      // file first, which blocks on a fifo. The check above keeps symlinks out.
      Files.setAttribute(path, "unix:mode", mode & 07777);
    } catch (IOException e) {
      throw toUnion(e);
    }
  }

  @Override
  public void utimens(Path path, long atimeNanos, long mtimeNanos) throws IOException {
    try {
      FileType type = FileType.ofMode((Integer) Files.getAttribute(path, "unix:mode", NOFOLLOW));
      BasicFileAttributeView view = Files.getFileAttributeView(path, BasicFileAttributeView.class, NOFOLLOW);
      switch (type) {
        case CHAR_DEVICE, BLOCK_DEVICE ->
            throw new ErrnoException(Errno.EOPNOTSUPP, path + ": the JDK would open the device to set its times");
        case FIFO -> {
          // The JDK opens the file read-only to set its times, which waits for a writer on a
          // fifo; holding it open read-write (Linux opens a fifo so without waiting) is that writer.
          try (FileChannel writer = FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE,
              LinkOption.NOFOLLOW_LINKS)) {
            view.setTimes(time(mtimeNanos), time(atimeNanos), null);
          }
        }
        default -> view.setTimes(time(mtimeNanos), time(atimeNanos), null);
      }
    } catch (IOException e) {
      throw toUnion(e);
    }
  }

  @Override
  public void rename(Path from, Path to, int flags) throws IOException {
    if ((flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE | RENAME_WHITEOUT)) != 0
        || (flags & (RENAME_NOREPLACE | RENAME_EXCHANGE)) == (RENAME_NOREPLACE | RENAME_EXCHANGE)) {
      throw new ErrnoException(Errno.EINVAL, "rename flags " + flags);
    }
    if ((flags & RENAME_WHITEOUT) != 0) {
      throw new ErrnoException(Errno.EINVAL, from + ": the JDK cannot leave a whiteout device behind a rename");
    }
    try {
      if ((flags & RENAME_EXCHANGE) != 0) {
        exchange(from, to);
      } else if ((flags & RENAME_NOREPLACE) != 0) {
        if (Files.exists(to, NOFOLLOW)) {
          throw new ErrnoException(Errno.EEXIST, to.toString());
        }
        Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
      } else {
        // rename(2): replaces a file, or an empty directory with a directory, atomically.
        Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
      }
    } catch (IOException e) {
      throw toUnion(e);
    }
  }

  private static void exchange(Path from, Path to) throws IOException {
    if (!Files.exists(from, NOFOLLOW)) {
      throw new ErrnoException(Errno.ENOENT, from.toString());
    }
    if (!Files.exists(to, NOFOLLOW)) {
      throw new ErrnoException(Errno.ENOENT, to.toString());
    }
    if (from.toAbsolutePath().normalize().equals(to.toAbsolutePath().normalize())) {
      return;
    }
    Path parked = to.resolveSibling(".strata-exchange-" + UUID.randomUUID());
    Files.move(to, parked, StandardCopyOption.ATOMIC_MOVE);
    try {
      Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      Files.move(parked, to, StandardCopyOption.ATOMIC_MOVE);
      throw e;
    }
    Files.move(parked, from, StandardCopyOption.ATOMIC_MOVE);
  }

  @Override
  public boolean cloneFile(Path source, Path target) {
    return false;
  }

  @Override
  public FsStats statfs(Path path) throws IOException {
    try {
      FileStore store = Files.getFileStore(path);
      long block = store.getBlockSize();
      return new FsStats(block, store.getTotalSpace() / block, store.getUnallocatedSpace() / block,
          store.getUsableSpace() / block, 0, 0, 255);
    } catch (IOException e) {
      throw toUnion(e);
    }
  }

  @Override
  public String toString() {
    return "JavaHostFiles";
  }

  /**
   * Returns {@code e} as a ErrnoException with the errno the kernel gave, as far as the JDK's
   * exception type or the strerror text at the end of its reason tells it; EIO otherwise.
   */
  static ErrnoException toUnion(IOException e) {
    return toUnion0(e);
  }

  /** The errno a failure of a JDK file call answers with (see {@link #toUnion}). */
  public static Errno errnoOf(IOException e) {
    return toUnion0(e).errno();
  }

  private static ErrnoException toUnion0(IOException e) {
    if (e instanceof ErrnoException u) {
      return u;
    }
    Errno errno;
    if (e instanceof NoSuchFileException) {
      errno = Errno.ENOENT;
    } else if (e instanceof FileAlreadyExistsException) {
      errno = Errno.EEXIST;
    } else if (e instanceof DirectoryNotEmptyException) {
      errno = Errno.ENOTEMPTY;
    } else if (e instanceof AccessDeniedException) {
      errno = Errno.EACCES;
    } else if (e instanceof NotDirectoryException) {
      errno = Errno.ENOTDIR;
    } else if (e instanceof NotLinkException) {
      errno = Errno.EINVAL;
    } else if (e instanceof AtomicMoveNotSupportedException) {
      errno = Errno.EXDEV;
    } else if (e instanceof FileSystemLoopException) {
      errno = Errno.ELOOP;
    } else if (e instanceof FileSystemException f && f.getReason() != null) {
      String reason = f.getReason();
      int colon = reason.lastIndexOf(": ");
      errno = REASONS.getOrDefault(colon < 0 ? reason : reason.substring(colon + 2), Errno.EIO);
      if (errno == Errno.EIO && reason.endsWith("is too big")) {
        errno = Errno.ERANGE; // the JDK's own words for an xattr name past 255 bytes
      }
    } else {
      errno = Errno.EIO;
    }
    ErrnoException u = new ErrnoException(errno, e.getMessage());
    u.initCause(e);
    return u;
  }

  /** Returns whether Linux allows user xattrs on {@code path}: a regular file or a directory. */
  private static boolean holdsUserXattrs(Path path) throws IOException {
    try {
      FileType type = FileType.ofMode((Integer) Files.getAttribute(path, "unix:mode", NOFOLLOW));
      return type == FileType.REGULAR || type == FileType.DIRECTORY;
    } catch (IOException e) {
      throw toUnion(e);
    }
  }

  private static UserDefinedFileAttributeView userView(Path path) {
    return Files.getFileAttributeView(path, UserDefinedFileAttributeView.class, NOFOLLOW);
  }

  private static FileTime time(long nanos) {
    long seconds = Math.floorDiv(nanos, 1_000_000_000L);
    // The JDK (17) turns a time before 1970 with a fraction of a second into 1970 itself, silently;
    // the whole second below it is the nearest time it sets right.
    return FileTime.from(Instant.ofEpochSecond(seconds, seconds < 0 ? 0 : Math.floorMod(nanos, 1_000_000_000L)));
  }
}
