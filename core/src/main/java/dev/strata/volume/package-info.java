/**
 * Volumes: data that outlives containers, kept in the store as plain host directories, with the
 * containers that use each, and their backup to and restore from a tar.
 */
package dev.strata.volume;
