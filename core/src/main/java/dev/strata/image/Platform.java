package dev.strata.image;

import static com.google.common.base.Preconditions.checkArgument;

/** The OS, architecture and optional variant an image is built for. */
public record Platform(String os, String architecture, String variant) {
  public Platform {
    checkArgument(os != null && !os.isEmpty(), "platform os is empty");
    checkArgument(architecture != null && !architecture.isEmpty(), "platform architecture is empty");
    variant = variant == null || variant.isEmpty() ? null : variant;
  }

  /** Parses {@code os/arch[/variant]}, as {@code --platform} takes it. */
  public static Platform parse(String text) {
    String[] parts = text.split("/", -1);
    checkArgument(parts.length == 2 || parts.length == 3,
        "invalid platform '%s': expected OS/ARCH[/VARIANT]", text);
    return new Platform(parts[0], parts[1], parts.length == 3 ? parts[2] : null);
  }

  /** Returns the platform of this machine, in Go's names (amd64, arm64) as images use them. */
  public static Platform current() {
    String arch = System.getProperty("os.arch");
    String goArch = switch (arch) {
      case "amd64", "x86_64" -> "amd64";
      case "aarch64", "arm64" -> "arm64";
      case "x86", "i386", "i686" -> "386";
      case "ppc64le" -> "ppc64le";
      case "s390x" -> "s390x";
      case "riscv64" -> "riscv64";
      default -> arch;
    };
    return new Platform("linux", goArch, goArch.equals("arm64") ? "v8" : null);
  }

  /** Returns whether an image for {@code other} runs here as {@code this} asks (variant optional). */
  public boolean matches(Platform other) {
    return os.equals(other.os) && architecture.equals(other.architecture)
        && (variant == null || other.variant == null || variant.equals(other.variant));
  }

  @Override
  public String toString() {
    return os + "/" + architecture + (variant != null ? "/" + variant : "");
  }
}
