package dev.strata.inspect;

import dev.strata.image.Descriptor;
import dev.strata.image.History;
import dev.strata.layer.LayerIndex;

/**
 * The numbers of one layer, as {@code strata layers} prints them.
 *
 * @param number 1 for the bottom layer
 * @param descriptor the layer blob: digest, compressed size, media type
 * @param index the layer's index (diff id, uncompressed size, entries)
 * @param history the history step that made it, or null
 * @param changes what it added, modified and deleted
 * @param fileBytes the bytes of the regular files the layer holds, each hard-linked file once
 * @param wastedBytes the part of {@code fileBytes} that the final tree does not show
 */
public record LayerReport(int number, Descriptor descriptor, LayerIndex index, History history,
    LayerChanges changes, long fileBytes, long wastedBytes) {}
