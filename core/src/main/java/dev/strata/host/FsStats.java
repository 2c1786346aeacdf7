package dev.strata.host;

/** What statfs(2) reports of a filesystem; counts in units of {@code blockSize}. */
public record FsStats(long blockSize, long blocks, long blocksFree, long blocksAvailable, long files, long filesFree,
    long nameMax) {}
