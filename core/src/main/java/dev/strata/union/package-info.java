/**
 * The overlay engine: N immutable lower layers and one writable upper directory shown as one
 * tree, with the semantics of Linux overlayfs, cut the way fs/overlayfs is cut (lookup, copy-up,
 * directory operations, inode and file operations, merged readdir, inode table).
 */
package dev.strata.union;
