package dev.strata.bench;

import dev.strata.digest.Digest;
import dev.strata.image.Compression;
import java.nio.file.Path;

/** One layer blob of an OCI layout on disk, with what its image config says it unpacks to. */
record LayerBlob(Path file, Compression compression, Digest diffId, long size) {}
