package dev.strata.registry;

/** The token scopes of the distribution auth spec, {@code repository:NAME:ACTIONS}. */
final class Scopes {
  private Scopes() {}

  static String pull(String repo) {
    return "repository:" + repo + ":pull";
  }

  static String push(String repo) {
    return "repository:" + repo + ":pull,push";
  }

  /** A mount needs push on the target and pull on the source, in one token. */
  static String mount(String repo, String from) {
    return push(repo) + " " + pull(from);
  }
}
