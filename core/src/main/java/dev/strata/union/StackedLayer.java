package dev.strata.union;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import dev.strata.layer.Bytes;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * A lower layer in its place in one union: what the layer holds, except that a file holding
 * metadata only (a metacopy file of a kernel upper that became a lower layer) reads its data
 * where the kernel's lookup finds it in the layers below. Every reader of a lower file's bytes
 * (open, copy-up, commit) opens it through here, and only opening asks: a walk never does.
 */
final class StackedLayer implements LowerLayer {
  private final LowerLayer layer;
  private final int index;
  private final Stack stack;
  private volatile Lookup lookup;

  private StackedLayer(LowerLayer layer, int index, Stack stack) {
    this.layer = layer;
    this.index = index;
    this.stack = stack;
  }

  /** Returns {@code lowers} (top first) as the layers of {@code stack}. */
  static ImmutableList<LowerLayer> of(List<LowerLayer> lowers, Stack stack) {
    ImmutableList.Builder<LowerLayer> out = ImmutableList.builderWithExpectedSize(lowers.size());
    for (int i = 0; i < lowers.size(); i++) {
      out.add(new StackedLayer(lowers.get(i), i, stack));
    }
    return out.build();
  }

  @Override
  public LowerEntry stat(String path) throws IOException {
    return layer.stat(path);
  }

  @Override
  public LowerEntry statChecked(String path) throws IOException {
    return layer.statChecked(path);
  }

  @Override
  public List<LowerEntry> list(String dir) throws IOException {
    return layer.list(dir);
  }

  /** Opens a file's data: its own, or for a metacopy file what the layers below hold for it. */
  @Override
  public FileContent open(String path) throws IOException {
    Metacopy m = layer.metacopy(path);
    if (m == null) {
      return layer.open(path);
    }
    Lookup l = lookup;
    if (l == null) {
      l = new Lookup(stack);
      lookup = l;
    }
    LowerRef data = l.lowerData(index, path, m.redirect());
    return stack.lowers.get(data.layer()).open(data.path());
  }

  @Override
  public Metacopy metacopy(String path) throws IOException {
    return layer.metacopy(path);
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

  @Override
  public void releasePages() {
    layer.releasePages();
  }

  @Override
  public Path hostDirectory() {
    return layer.hostDirectory();
  }

  @Override
  public void close() throws IOException {
    layer.close();
  }

  @Override
  public String toString() {
    return layer.toString();
  }
}
