package dev.strata.union;

import com.google.common.collect.ImmutableMap;
import dev.strata.layer.Bytes;
import java.io.IOException;
import java.util.List;

/** A layer that passes every call to another, for tests that watch or hold up some of them. */
abstract class ForwardingLowerLayer implements LowerLayer {
  private final LowerLayer layer;

  ForwardingLowerLayer(LowerLayer layer) {
    this.layer = layer;
  }

  @Override
  public LowerEntry stat(String path) throws IOException {
    return layer.stat(path);
  }

  @Override
  public List<LowerEntry> list(String path) throws IOException {
    return layer.list(path);
  }

  @Override
  public FileContent open(String path) throws IOException {
    return layer.open(path);
  }

  @Override
  public String readlink(String path) throws IOException {
    return layer.readlink(path);
  }

  @Override
  public ImmutableMap<String, Bytes> xattrs(String path) throws IOException {
    return layer.xattrs(path);
  }

  @Override
  public String describe() {
    return layer.describe();
  }
}
