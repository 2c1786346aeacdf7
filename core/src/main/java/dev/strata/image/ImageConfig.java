package dev.strata.image;

import com.google.common.collect.ImmutableList;
import dev.strata.digest.Digest;

/**
 * The parts of an image config that Strata reads: platform, the layers' uncompressed digests
 * ({@code rootfs.diff_ids}) and history. The config blob itself is always kept byte for byte.
 */
public record ImageConfig(
    String created,
    String author,
    String os,
    String architecture,
    String variant,
    ImmutableList<String> cmd,
    ImmutableList<String> entrypoint,
    ImmutableList<String> env,
    String workingDir,
    String user,
    ImmutableList<Digest> diffIds,
    ImmutableList<History> history) {
  public ImageConfig {
    cmd = cmd == null ? ImmutableList.of() : cmd;
    entrypoint = entrypoint == null ? ImmutableList.of() : entrypoint;
    env = env == null ? ImmutableList.of() : env;
    diffIds = diffIds == null ? ImmutableList.of() : diffIds;
    history = history == null ? ImmutableList.of() : history;
  }

  /** Returns the history entries that made layers, one per diff id when the config is consistent. */
  public ImmutableList<History> layerHistory() {
    return history.stream().filter(h -> !h.emptyLayer()).collect(ImmutableList.toImmutableList());
  }
}
