/**
 * Where images live besides the store, and moving them: registries, OCI layout directories,
 * OCI archives and {@code docker save} archives, each an {@link dev.strata.transfer.ImageLocation}
 * that reads and writes one kind of image (as the store does); and the pull that ingests an
 * image into a store.
 */
package dev.strata.transfer;
