/**
 * One POSIX conformance suite run twice: against a kernel overlayfs mount, the reference, and
 * against a FUSE mount made by a fuse-overlayfs-compatible mount program ({@code bin/strata-overlay},
 * or fuse-overlayfs itself while Strata's is being written; system property
 * {@code strata.overlay.command}). The engine's own tests call the engine; these go through the
 * kernel's VFS and a real mount, where caching, permission checks, mmap and concurrent callers
 * show what a filesystem looks like to the programs a container runs. Each test builds fresh
 * lower layers, mounts, acts through plain system calls and expects what the kernel answers.
 * Where fuse-overlayfs is known to answer otherwise, {@link dev.strata.fuse.conformance.KnownPeerDifferences}
 * says so and skips the test for fuse-overlayfs only, never for Strata. Beside the suite,
 * {@link dev.strata.fuse.conformance.FuseOverlayfsOptionsTest} holds strata-overlay's mount
 * options to fuse-overlayfs's, both given only what a container engine passes, and
 * {@link dev.strata.fuse.conformance.FuseOverlayfsOwnOptionsTest} holds it to fuse-overlayfs
 * given each of fuse-overlayfs's own options that rootless engines pass.
 */
package dev.strata.fuse.conformance;
