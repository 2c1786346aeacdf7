/**
 * The FUSE side of Strata: the jnr-fuse adapter that serves a union as a filesystem. It is the
 * only package that may use jnr-fuse (checked by {@code ModuleBoundaryTest}); the adapter and
 * mount programs arrive with the union engine.
 */
package dev.strata.fuse;
