package dev.strata.host;

import java.io.IOException;
import java.util.List;

/**
 * A file below a {@link HostDir}, named by its relative path: what the engine holds where the
 * JDK would hold a {@code java.nio.file.Path}, but with every byte of every name kept. Each call
 * is the directory's call of the same name on this path.
 */
public record HostPath(HostDir dir, String rel) {
  /** Returns the path of {@code name} in this directory. */
  public HostPath resolve(String name) {
    return new HostPath(dir, rel.isEmpty() ? name : rel + "/" + name);
  }

  /** Returns the parent (the directory itself for a name at its top). */
  public HostPath parent() {
    int slash = rel.lastIndexOf('/');
    return new HostPath(dir, slash < 0 ? "" : rel.substring(0, slash));
  }

  /** Returns the last name. */
  public String name() {
    return rel.substring(rel.lastIndexOf('/') + 1);
  }

  /** Keeps this file reachable after its name goes (see {@link HostDir#pin}). */
  public HostDir pin() throws IOException {
    return dir.pin(rel);
  }

  /** lstat; null if nothing is there. */
  public Stat stat() throws IOException {
    return dir.stat(rel);
  }

  public boolean exists() throws IOException {
    return dir.stat(rel) != null;
  }

  public List<HostDir.Entry> list() throws IOException {
    return dir.list(rel);
  }

  public HostFile open(int flags, int mode) throws IOException {
    return dir.open(rel, flags, mode);
  }

  public void createFile(int mode) throws IOException {
    dir.createFile(rel, mode);
  }

  public void mkdir(int mode) throws IOException {
    dir.mkdir(rel, mode);
  }

  public void mknod(int mode, int major, int minor) throws IOException {
    dir.mknod(rel, mode, major, minor);
  }

  /** Makes this a symlink to {@code target}. */
  public void symlink(String target) throws IOException {
    dir.symlink(target, rel);
  }

  /** Makes {@code name} another name of this file. */
  public void link(HostPath name) throws IOException {
    dir.link(rel, name.dir, name.rel);
  }

  /** renameat2 to {@code target}, with {@link HostDir}'s RENAME_* flags. */
  public void rename(HostPath target, int flags) throws IOException {
    dir.rename(rel, target.dir, target.rel, flags);
  }

  public void unlink() throws IOException {
    dir.unlink(rel);
  }

  public void rmdir() throws IOException {
    dir.rmdir(rel);
  }

  public boolean deleteIfExists() throws IOException {
    return dir.deleteIfExists(rel);
  }

  public String readlink() throws IOException {
    return dir.readlink(rel);
  }

  public void chmod(int mode) throws IOException {
    dir.chmod(rel, mode);
  }

  public void chown(long uid, long gid) throws IOException {
    dir.chown(rel, uid, gid);
  }

  public void utimens(long atimeNanos, long mtimeNanos) throws IOException {
    dir.utimens(rel, atimeNanos, mtimeNanos);
  }

  public void truncate(long size) throws IOException {
    dir.truncate(rel, size);
  }

  public byte[] getxattr(String name) throws IOException {
    return dir.getxattr(rel, name);
  }

  public void setxattr(String name, byte[] value) throws IOException {
    dir.setxattr(rel, name, value, 0);
  }

  public boolean removexattr(String name) throws IOException {
    return dir.removexattr(rel, name);
  }

  public List<String> listxattr() throws IOException {
    return dir.listxattr(rel);
  }

  @Override
  public String toString() {
    return dir.describe(rel);
  }
}
