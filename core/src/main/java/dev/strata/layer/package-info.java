/**
 * OCI layer changesets: reading layer tars (plain, gzip, zstd) safely, interpreting whiteouts
 * and opaque markers, and the compact metadata index a store keeps of every layer.
 */
package dev.strata.layer;
