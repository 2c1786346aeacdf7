package dev.strata.union;

/**
 * One entry of a directory listing: name, inode number (equal to the st_ino of the file), type,
 * and the offset at which the next readdir call continues.
 */
public record DirEntry(String name, long ino, FileType type, long offset) {}
