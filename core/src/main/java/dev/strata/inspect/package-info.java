/**
 * Image inspection: the merged file tree of an image's layers, what each layer adds, modifies,
 * deletes and wastes, differences between trees, and the store's space accounting, computed
 * from layer indexes that come from the store or from streaming any image source's blobs.
 */
package dev.strata.inspect;
