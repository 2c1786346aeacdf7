package dev.strata.fuse;

import dev.strata.fuse.kernel.KernelMount;
import dev.strata.fuse.kernel.KernelMountOptions;
import dev.strata.union.UnionFs;
import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A union served at a mount point, by one of two transports: the FUSE kernel protocol spoken
 * directly over /dev/fuse ({@link KernelMount}: mounted with mount(2) by root, or by the
 * set-user-id fusermount3 for anyone else; one kernel inode per file, so hard links, renameat2
 * flags and unlinked open files behave as on the kernel's overlay) or libfuse 2's path API
 * through jnr-fuse ({@link LibfuseMount}: the fallback where neither can mount, with the path
 * API's limits).
 */
public interface FuseMount extends Closeable {
  /** How requests reach the engine. */
  enum Transport {
    /** /dev/fuse spoken directly: mounted with mount(2), or by fusermount3. */
    KERNEL,
    /** libfuse 2 through jnr-fuse. */
    LIBFUSE;

    /**
     * KERNEL where this process can mount /dev/fuse ({@link KernelMount#canMount}: itself, with
     * CAP_SYS_ADMIN as the host's root or root of a user namespace that owns its mount namespace,
     * as rootless podman's mount programs run; or through a set-user-id fusermount3, as an
     * ordinary user), else LIBFUSE; {@code STRATA_FUSE_TRANSPORT=kernel|libfuse} chooses.
     */
    public static Transport choose() {
      String env = System.getenv("STRATA_FUSE_TRANSPORT");
      if (env != null && !env.isEmpty()) {
        return valueOf(env.toUpperCase(java.util.Locale.ROOT));
      }
      return KernelMount.canMount() ? KERNEL : LIBFUSE;
    }
  }

  Path mountPoint();

  /** Waits until the mount is gone (unmounted from anywhere) and its server has stopped. */
  void awaitUnmount() throws InterruptedException;

  /** Unmounts (if still mounted), waits for the server to stop, closes the union. */
  @Override
  void close() throws IOException;

  /** Starts warming up the request path in the background, where the transport does (a server's). */
  default void startWarmUp() {}

  /**
   * Whether the kernel reads and writes files of this mount itself, where one host file holds
   * a file's bytes (FUSE passthrough, {@link KernelMount#passthrough}); never over libfuse.
   */
  default boolean passthrough() {
    return false;
  }

  /** Mounts {@code fs} at {@code mountPoint} and returns once the mount answers. */
  static FuseMount start(UnionFs fs, Path mountPoint, MountOptions options) throws IOException {
    Path mp = mountPoint.toAbsolutePath().normalize();
    if (!Files.isDirectory(mp)) {
      throw new IOException("mount point " + mp + " is not a directory");
    }
    if (Mounts.isFuseMounted(mp)) {
      throw new IOException(mp + " is already a FUSE mount point (a dead one? strata umount " + mp + ")");
    }
    if (options.transport() == Transport.LIBFUSE) {
      return LibfuseMount.start(fs, mp, options);
    }
    KernelMount k = KernelMount.mount(fs, mp, kernelOptions(options));
    return new FuseMount() {
      @Override
      public Path mountPoint() {
        return k.mountPoint();
      }

      @Override
      public void awaitUnmount() throws InterruptedException {
        k.awaitUnmount();
      }

      @Override
      public void close() throws IOException {
        k.close();
      }

      @Override
      public void startWarmUp() {
        k.startWarmUp();
      }

      @Override
      public boolean passthrough() {
        return k.passthrough();
      }
    };
  }

  /**
   * allow_other as the libfuse transport takes it: the field, or the option named among the
   * mount options (strata-overlay's {@code -o allow_other}). Root's defaults have it on; a user's
   * mount, made by fusermount3, has it only where asked (and /etc/fuse.conf allows it).
   */
  private static KernelMountOptions kernelOptions(MountOptions o) {
    return KernelMountOptions.defaults(o.fsName())
        .withAllowOther(o.allowOther() || o.mountOptions().contains("allow_other"))
        .withReadOnly(o.readOnly())
        .withMountOptions(o.mountOptions())
        .withTimeouts(o.entryTimeout(), o.attrTimeout(), o.entryTimeout())
        .withThreads(o.singleThreaded() ? 1 : 2)
        .withAcl(o.acl())
        .withPassthrough(o.passthrough());
  }

  /**
   * Serves {@code fs} at {@code mountPoint} until it is unmounted: the body of a mount server
   * of one mount ({@link ServedMount}).
   */
  static void serve(UnionFs fs, Path mountPoint, MountOptions options) throws IOException, InterruptedException {
    ServedMount.start(fs, mountPoint, options).awaitUnmount();
  }

}
