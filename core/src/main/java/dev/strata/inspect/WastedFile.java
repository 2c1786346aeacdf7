package dev.strata.inspect;

import com.google.common.collect.ImmutableList;

/**
 * A path whose bytes some layer holds in vain: a later layer overwrote or deleted them.
 *
 * @param path the path in the layer that holds the bytes
 * @param layers the 1-based numbers of those layers
 * @param bytes the bytes wasted at this path, summed over those layers
 */
public record WastedFile(String path, ImmutableList<Integer> layers, long bytes) {}
