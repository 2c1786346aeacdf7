/** Content digests ({@code sha256:…}): parsing, validation and digesting of streams. */
package dev.strata.digest;
