/**
 * Where images come from and go to besides registries: OCI layout directories, OCI archives and
 * {@code docker save} archives; and the pull that ingests an image into a store.
 */
package dev.strata.transfer;
