package dev.strata.cli.sandbox;

import dev.strata.union.ImageUser;
import java.util.ArrayList;
import java.util.List;

/**
 * The environment a container's command gets: the image's ({@code NAME=VALUE} entries only),
 * with PATH, HOME (the user's) and HOSTNAME where it sets none, as podman adds them.
 */
public final class ContainerEnvironment {
  /** podman's PATH for an image that names none. */
  public static final String DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

  private ContainerEnvironment() {}

  public static List<String> of(List<String> imageEnv, ImageUser who, String hostname) {
    List<String> env = new ArrayList<>();
    for (String e : imageEnv) {
      if (e.indexOf('=') > 0) {
        env.add(e);
      }
    }
    addIfUnset(env, "PATH", DEFAULT_PATH);
    addIfUnset(env, "HOME", who.home());
    addIfUnset(env, "HOSTNAME", hostname);
    return env;
  }

  private static void addIfUnset(List<String> env, String key, String value) {
    if (env.stream().noneMatch(e -> e.startsWith(key + "="))) {
      env.add(key + "=" + value);
    }
  }
}
