package dev.strata.digest;

import static com.google.common.base.Preconditions.checkNotNull;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * A content digest as the OCI image-spec writes it: {@code algorithm:encoded}.
 *
 * <p>Only the registered algorithms sha256 and sha512 are accepted, with lowercase hex of the
 * exact length, because a digest is also a file name in the store: anything looser would let a
 * manifest name a path of its choosing.
 */
public record Digest(String algorithm, String hex) implements Comparable<Digest> {
  public static final String SHA256 = "sha256";
  public static final String SHA512 = "sha512";

  public Digest {
    checkNotNull(algorithm, "algorithm");
    checkNotNull(hex, "hex");
    int length = switch (algorithm) {
      case SHA256 -> 64;
      case SHA512 -> 128;
      default -> throw new IllegalArgumentException("unsupported digest algorithm: " + algorithm);
    };
    if (hex.length() != length || !isLowerHex(hex)) {
      throw new IllegalArgumentException(
          "invalid " + algorithm + " digest: expected " + length + " lowercase hex digits, got '"
              + abbreviate(hex) + "'");
    }
  }

  /** Whether every character is 0-9 or a-f (a loop: this runs for every file of every layer). */
  private static boolean isLowerHex(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if ((c < '0' || c > '9') && (c < 'a' || c > 'f')) {
        return false;
      }
    }
    return true;
  }

  /** Parses {@code sha256:<64 hex>} (or sha512), rejecting anything else with a clear message. */
  public static Digest parse(String text) {
    checkNotNull(text, "digest");
    int colon = text.indexOf(':');
    if (colon <= 0) {
      throw new IllegalArgumentException("invalid digest '" + abbreviate(text) + "': expected algorithm:hex");
    }
    return new Digest(text.substring(0, colon), text.substring(colon + 1));
  }

  /** Returns the sha256 digest of {@code bytes}. */
  public static Digest sha256(byte[] bytes) {
    return fromRaw(SHA256, newMessageDigest(SHA256).digest(bytes));
  }

  /** Returns the digest whose raw (binary) value is {@code raw}. */
  public static Digest fromRaw(String algorithm, byte[] raw) {
    return new Digest(algorithm, HexFormat.of().formatHex(raw));
  }

  /** Returns the binary value of this digest. */
  public byte[] raw() {
    return HexFormat.of().parseHex(hex);
  }

  /** Returns a fresh {@link MessageDigest} for {@code algorithm} ("sha256" or "sha512"). */
  public static MessageDigest newMessageDigest(String algorithm) {
    try {
      return MessageDigest.getInstance(algorithm.equals(SHA512) ? "SHA-512" : "SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError("every JDK has SHA-256 and SHA-512", e);
    }
  }

  /** Returns the first 12 hex digits, as people read digests. */
  public String shortHex() {
    return hex.substring(0, 12);
  }

  @Override
  public int compareTo(Digest other) {
    int c = algorithm.compareTo(other.algorithm);
    return c != 0 ? c : hex.compareTo(other.hex);
  }

  @Override
  public String toString() {
    return algorithm + ":" + hex;
  }

  private static String abbreviate(String s) {
    return s.length() > 80 ? s.substring(0, 80) + "…" : s;
  }
}
