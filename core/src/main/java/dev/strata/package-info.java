/** Strata: a copy-on-write union filesystem and OCI image layer store. */
package dev.strata;
