package dev.strata.volume;

import com.google.common.collect.ImmutableSortedMap;
import java.nio.file.Path;

/**
 * A volume of a store.
 *
 * @param name its name
 * @param created when it was created (or imported), as an ISO-8601 instant
 * @param labels what its creator said of it
 * @param dir its directory in the store, {@code volumes/NAME}
 */
public record Volume(String name, String created, ImmutableSortedMap<String, String> labels, Path dir) {
  /** Returns the live data: a plain host directory, for a container to bind-mount. */
  public Path data() {
    return dir.resolve(Volumes.DATA);
  }
}
