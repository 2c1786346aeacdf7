package dev.strata.build.containerfile;

/** A flag an instruction takes ({@code --from=build}, {@code --link}) and what kind of value it has. */
record FlagSpec(String name, Kind kind) {
  enum Kind {
    /** Takes a value, once: {@code --chown=1000:1000}. */
    TEXT,
    /** True or false, once; given bare it is true: {@code --link}, {@code --link=false}. */
    BOOLEAN,
    /** Takes a value and may be given again: {@code --mount=... --mount=...}. */
    REPEATED
  }

  static FlagSpec text(String name) {
    return new FlagSpec(name, Kind.TEXT);
  }

  static FlagSpec bool(String name) {
    return new FlagSpec(name, Kind.BOOLEAN);
  }

  static FlagSpec repeated(String name) {
    return new FlagSpec(name, Kind.REPEATED);
  }
}
