/**
 * The host: how Strata meets the Linux it runs on. File names as the bytes the kernel keeps
 * ({@link dev.strata.host.Names}), the errors the kernel answers, by number
 * ({@link dev.strata.host.Errno}, {@link dev.strata.host.ErrnoException}), and the system calls
 * on host files that the union engine and both FUSE transports make.
 */
package dev.strata.host;
