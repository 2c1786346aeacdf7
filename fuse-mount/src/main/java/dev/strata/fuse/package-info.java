/**
 * The FUSE side of Strata: a union served as a filesystem, and the programs that mount one.
 *
 * <p>{@link dev.strata.fuse.FuseMount} is the one way in; it picks a transport: the kernel
 * protocol spoken directly ({@code dev.strata.fuse.kernel}, as root) or libfuse 2's path API
 * through jnr-fuse ({@code UnionFuseFs}, {@code LibfuseMount}, without root). Either is a thin
 * adapter: one engine call per request, every failure an errno reply. Around them: the mount
 * servers (a mount served until unmounted, {@code ServedMount}, by a process of its own started
 * detached by {@link dev.strata.fuse.Detached}, or by bin/strata-overlay's long-lived
 * {@link dev.strata.fuse.MountServer}; found again through {@link dev.strata.fuse.MountRegistry};
 * giving memory back when idle through {@code IdleTrim}), the mount table and unmounting
 * ({@link dev.strata.fuse.Mounts}), {@code strata-overlay} with fuse-overlayfs's options
 * ({@link dev.strata.fuse.OverlayMain}, {@link dev.strata.fuse.OverlayOptions}). The host
 * calls themselves live in core's {@code dev.strata.host}.
 *
 * <p>This module is the only one that may use jnr-fuse (checked by {@code ModuleBoundaryTest}).
 */
package dev.strata.fuse;
