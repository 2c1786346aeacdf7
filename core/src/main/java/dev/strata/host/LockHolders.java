package dev.strata.host;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Who holds a lock on a file, as far as this host can tell: the kernel lists every fcntl and
 * flock lock of the host in {@code /proc/locks} by device and inode, with the holder's pid. A
 * process that waits for a lock names what it waits for from there. Locks that processes on
 * other hosts hold on a shared filesystem (NFS) are not listed; {@link #describe} says so.
 */
public final class LockHolders {
  private LockHolders() {}

  /** The processes of this host holding a lock on {@code file}, each as "pid N (command line)". */
  public static List<String> of(Path file) {
    long dev;
    long ino;
    try {
      dev = ((Number) Files.getAttribute(file, "unix:dev", LinkOption.NOFOLLOW_LINKS)).longValue();
      ino = ((Number) Files.getAttribute(file, "unix:ino", LinkOption.NOFOLLOW_LINKS)).longValue();
    } catch (IOException | UnsupportedOperationException e) {
      return List.of();
    }
    // /proc/locks prints the device as major:minor in hex and the inode in decimal.
    String key = String.format("%02x:%02x:%d", major(dev), minor(dev), ino);
    Set<Long> pids = new LinkedHashSet<>();
    try {
      for (String line : Files.readAllLines(Path.of("/proc/locks"), StandardCharsets.ISO_8859_1)) {
        // "1: POSIX  ADVISORY  WRITE 12576 fe:00:2154736 0 EOF" (a blocked waiter has "->")
        String[] f = line.trim().split("\\s+");
        if (f.length >= 6 && !f[1].equals("->") && f[5].equals(key)) {
          long pid = Long.parseLong(f[4]);
          if (pid > 0 && pid != ProcessHandle.current().pid()) {
            pids.add(pid);
          }
        }
      }
    } catch (IOException | RuntimeException e) {
      return List.of();
    }
    List<String> out = new ArrayList<>();
    for (long pid : pids) {
      out.add("pid " + pid + " (" + commandLine(pid) + ")");
    }
    return out;
  }

  /** A sentence naming the holders of {@code file}'s lock, or saying they cannot be seen. */
  public static String describe(Path file) {
    List<String> holders = of(file);
    if (holders.isEmpty()) {
      return "held by a process this host does not list (on another host sharing the store?)";
    }
    return "held by " + String.join(", ", holders);
  }

  private static String commandLine(long pid) {
    try {
      byte[] raw = Files.readAllBytes(Path.of("/proc", Long.toString(pid), "cmdline"));
      String[] args = new String(raw, StandardCharsets.UTF_8).split("\0");
      List<String> words = new ArrayList<>(javaArguments(args));
      if (!words.isEmpty()) {
        words.set(0, words.get(0).substring(words.get(0).lastIndexOf('/') + 1));
      }
      // one line, whatever the arguments hold
      String text = String.join(" ", words).replaceAll("\\p{Cntrl}+", " ");
      return text.length() > 160 ? text.substring(0, 157) + "..." : text;
    } catch (IOException e) {
      return "gone";
    }
  }

  /**
   * A JVM's command line without the JVM's own options and class path: its main class's simple
   * name and what it was asked to do ("Main pull oci:... big"); any other command as it is.
   */
  private static List<String> javaArguments(String[] args) {
    if (args.length == 0 || !Path.of(args[0]).getFileName().toString().equals("java")) {
      return List.of(args);
    }
    int i = 1;
    List<String> out = new ArrayList<>();
    while (i < args.length && args[i].startsWith("-")) {
      if (args[i].equals("-jar") && i + 1 < args.length) {
        // what follows the jar is the program's, dashes or not
        out.add(Path.of(args[i + 1]).getFileName().toString().replaceFirst("\\.jar$", ""));
        i += 2;
        break;
      }
      i += args[i].equals("-cp") || args[i].equals("-classpath") ? 2 : 1;
    }
    if (out.isEmpty() && i < args.length) {
      String main = args[i++];
      out.add(main.substring(main.lastIndexOf('.') + 1));
    }
    for (; i < args.length; i++) {
      out.add(args[i]);
    }
    return out;
  }

  private static long major(long dev) {
    return ((dev >>> 8) & 0xfff) | ((dev >>> 32) & ~0xfffL);
  }

  private static long minor(long dev) {
    return (dev & 0xff) | ((dev >>> 12) & ~0xffL);
  }
}
