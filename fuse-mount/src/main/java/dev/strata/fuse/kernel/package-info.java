/**
 * The union served by speaking the Linux FUSE kernel protocol over {@code /dev/fuse} directly,
 * in Java, beside the jnr-fuse transport of {@code dev.strata.fuse}.
 *
 * <p>Why a second transport: libfuse 2's high-level path API, which jnr-fuse binds, cannot carry
 * what the union engine already does. It answers renameat2 flags with EINVAL; it gives every
 * name of a hard-linked file its own kernel inode, so the link count and cached data of one name
 * go stale when another changes; it has no readdirplus; and every call is re-resolved from a
 * path. The kernel protocol is node based, as the engine is ({@code lookup} gives a node, every
 * other request names one), so each request maps onto one engine call, and a hard-linked file is
 * one kernel inode whatever name reached it.
 *
 * <p>No libfuse: jnr-ffi binds only libc ({@code open}, {@code read}, {@code write},
 * {@code mount}, {@code umount2}, and for fusermount3 {@code socketpair}, {@code posix_spawn},
 * {@code recvmsg}, {@code waitpid}); requests are parsed and replies built as plain ByteBuffer
 * code over native memory. A process with CAP_SYS_ADMIN mounts with mount(2); any other has the
 * set-user-id fusermount3 mount and pass the {@code /dev/fuse} descriptor back over a socket.
 *
 * <p>The pieces: {@link dev.strata.fuse.kernel.KernelMount} (the public entry: mount, serving
 * threads, unmount), {@link dev.strata.fuse.kernel.KernelMountOptions} with
 * {@link dev.strata.fuse.kernel.MountFlags} (mount options to mount(2) flags), {@code FuseDevice} (the
 * descriptor and the mount system calls), {@code Fusermount} (the mount by fusermount3),
 * {@code Protocol} (opcodes, flags, struct layouts),
 * {@code NativeBuffer} (native memory seen as a ByteBuffer), {@code Request} and {@code Reply}
 * (one message each way), {@code NodeTable} (kernel node ids to
 * engine nodes), {@code Dispatcher} (one engine call per request), {@code Passthrough} (which
 * opens the kernel serves from a backing file itself, FUSE passthrough) and
 * {@code RequestStats} (requests served, by opcode).
 */
package dev.strata.fuse.kernel;
