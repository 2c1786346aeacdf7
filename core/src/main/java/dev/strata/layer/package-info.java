/**
 * OCI layer changesets: reading layer tars (plain, gzip, zstd) safely, interpreting whiteouts
 * and opaque markers, and the metadata index a store keeps of every layer: built in memory
 * bounded whatever the layer's entry count, read in place.
 */
package dev.strata.layer;
