/**
 * Content-addressed files on disk: written to a temporary file on the same filesystem, made
 * durable, checked against their digest and renamed into place, so a reader sees a blob whole
 * or not at all.
 */
package dev.strata.blob;
