package dev.strata.cli;

import dev.strata.fuse.kernel.KernelMount;
import dev.strata.host.Privileges;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Enumeration;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;

/**
 * Loads the classes a mount server runs on, for the class-data archive that bin/strata records
 * on its first run ({@code -Dstrata.cds.preload=true}). A server loads several hundred classes
 * while it answers its first requests (the FUSE protocol, the engine, the host calls); taken
 * from the archive instead of the jar they cost a fraction, which is most of the difference
 * between the first walk of a fresh mount and the next. The same goes for the HTTP client of
 * registry pulls and pushes.
 */
final class ClassPreload {
  /** Packages whose classes a command or a mount server may need: Strata's and the FUSE bindings'. */
  private static final List<String> PREFIXES = List.of("dev/strata/", "ru/serce/jnrfuse/", "jnr/ffi/", "com/kenai/jffi/");

  private ClassPreload() {}

  static void run() {
    String classPath = System.getProperty("java.class.path");
    if (classPath == null || !classPath.endsWith(".jar")) {
      return;
    }
    ClassLoader loader = ClassPreload.class.getClassLoader();
    try (JarFile jar = new JarFile(Path.of(classPath).toFile())) {
      for (Enumeration<JarEntry> e = jar.entries(); e.hasMoreElements(); ) {
        String name = e.nextElement().getName();
        if (name.endsWith(".class") && !name.contains("-") && PREFIXES.stream().anyMatch(name::startsWith)) {
          try {
            Class.forName(name.substring(0, name.length() - 6).replace('/', '.'), false, loader);
          } catch (Throwable ignored) {
            // a class that cannot load here (a platform it is not for) is not one a server needs
          }
        }
      }
    } catch (IOException ignored) {
      // no archive content beyond what the command loaded: slower start, nothing wrong
    }
    // Loading is not all: lambda forms, the engine's caches and the host calls' bindings are
    // made only when requests run. A walk of a scratch tree makes them, for the archive.
    try {
      KernelMount.warmUp(Privileges.ofProcess());
    } catch (Throwable ignored) {
      // no FUSE bindings on this machine: the archive holds less, nothing is wrong
    }
    // The JDK's HTTP client and TLS, for pull and push from registries: several hundred classes
    // of their own that only a built client, a request and a handshake load (no network).
    java.net.http.HttpClient.newBuilder().build();
    dev.strata.registry.RegistryClient.preloadClasses();
  }
}
