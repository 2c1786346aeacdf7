/**
 * A client of the OCI distribution API on {@code java.net.http}, so that images move between a
 * store and a registry without a daemon: one small class per endpoint, with the registry's own
 * auth, TLS and redirect rules kept apart from the store.
 */
package dev.strata.registry;
