package dev.strata.cli;

import dev.strata.registry.Credentials;
import dev.strata.registry.RegistryOptions;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** The registry flags of pull and push, named as skopeo names them. */
final class RegistryFlags {
  @Option(names = {"--creds"}, paramLabel = "USER:PASS",
      description = "Registry credentials (default: $REGISTRY_AUTH_FILE, then ~/.docker/config.json).")
  String creds;

  @Option(names = "--tls-verify", arity = "0..1", defaultValue = "true", fallbackValue = "true", paramLabel = "BOOL",
      description = "Verify the registry's TLS certificate (default: true); false also allows plain http.")
  boolean tlsVerify;

  @Option(names = "--cert-dir", paramLabel = "DIR",
      description = "Trust the CA certificates DIR/*.crt (such as DIR/ca.crt) besides the system's; present"
          + " DIR/NAME.cert with DIR/NAME.key as a client certificate.")
  Path certDir;

  RegistryOptions options() {
    return new RegistryOptions(creds == null ? null : Credentials.parse(creds), tlsVerify, certDir);
  }
}
