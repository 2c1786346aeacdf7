package dev.strata.registry;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

/** A user name and password for one registry; the password never appears in {@link #toString}. */
public record Credentials(String user, String password) {
  /** Parses {@code USER:PASS} as {@code --creds} takes it. */
  public static Credentials parse(String text) {
    int colon = text.indexOf(':');
    if (colon <= 0) {
      throw new IllegalArgumentException("credentials must be USER:PASS");
    }
    return new Credentials(text.substring(0, colon), text.substring(colon + 1));
  }

  /** Returns the value of a Basic Authorization header. */
  String basicHeader() {
    return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
  }

  @Override
  public String toString() {
    return "Credentials[user=" + user + ", password=***]";
  }
}
