package dev.strata.union;

/** Who asks for an operation: the owner new files get (FUSE passes the caller's ids). */
public record Ctx(long uid, long gid) {
  /** Root, as tests and the engine's own callers are. */
  public static final Ctx ROOT = new Ctx(0, 0);
}
