package dev.strata.registry;

import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.nio.charset.StandardCharsets;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.InvalidKeySpecException;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;
import javax.net.ssl.X509TrustManager;

/**
 * The TLS trust a registry connection uses: the system's by default; with a cert dir (as
 * skopeo and podman read {@code /etc/containers/certs.d/HOST/}) the system's plus every
 * {@code *.crt} in it, and a client certificate if it holds one; with verification off,
 * anything, without a host name check.
 */
final class TlsContexts {
  private TlsContexts() {}

  static SSLContext create(RegistryOptions options) throws IOException {
    return create(options, new ClientCertNotice());
  }

  /**
   * The TLS context for {@code options}; where it has no client certificate to give,
   * {@code notice} records whether a server asked for one.
   */
  static SSLContext create(RegistryOptions options, ClientCertNotice notice) throws IOException {
    try {
      SSLContext context = SSLContext.getInstance("TLS");
      if (!options.tlsVerify()) {
        context.init(new KeyManager[] {notice}, new TrustManager[] {new TrustAnything()}, new SecureRandom());
      } else if (options.certDir() != null) {
        KeyManager[] keys = clientKeys(options.certDir());
        context.init(keys != null ? keys : new KeyManager[] {notice}, new TrustManager[] {withCertDir(options.certDir())},
            new SecureRandom());
      } else {
        context.init(new KeyManager[] {notice}, null, new SecureRandom()); // the JDK's trusted CAs
      }
      return context;
    } catch (GeneralSecurityException e) {
      throw new IOException("cannot set up TLS: " + e.getMessage(), e);
    }
  }

  private static X509TrustManager withCertDir(Path dir) throws IOException, GeneralSecurityException {
    if (!Files.isDirectory(dir)) {
      throw new java.nio.file.NoSuchFileException(dir + ": --cert-dir is not a directory");
    }
    KeyStore keys = KeyStore.getInstance(KeyStore.getDefaultType());
    keys.load(null, null);
    TrustManagerFactory system = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    system.init((KeyStore) null);
    int n = 0;
    for (TrustManager tm : system.getTrustManagers()) {
      if (tm instanceof X509TrustManager x) {
        for (X509Certificate c : x.getAcceptedIssuers()) {
          keys.setCertificateEntry("system-" + n++, c);
        }
      }
    }
    CertificateFactory factory = CertificateFactory.getInstance("X.509");
    try (DirectoryStream<Path> crts = Files.newDirectoryStream(dir, "*.crt")) {
      for (Path crt : crts) {
        try (InputStream in = Files.newInputStream(crt)) {
          for (Certificate c : factory.generateCertificates(in)) {
            keys.setCertificateEntry("dir-" + n++, c);
          }
        }
      }
    }
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(keys);
    for (TrustManager tm : tmf.getTrustManagers()) {
      if (tm instanceof X509TrustManager x) {
        return x;
      }
    }
    throw new GeneralSecurityException("no X.509 trust manager");
  }

  /**
   * The client certificate of a cert dir, as podman reads it: {@code NAME.cert} (the chain, PEM)
   * with {@code NAME.key} (its PKCS#8 PEM key) beside it; null when there is none.
   */
  private static KeyManager[] clientKeys(Path dir) throws IOException, GeneralSecurityException {
    KeyStore keys = KeyStore.getInstance("PKCS12");
    keys.load(null, null);
    char[] password = new char[0];
    CertificateFactory factory = CertificateFactory.getInstance("X.509");
    int n = 0;
    try (DirectoryStream<Path> certs = Files.newDirectoryStream(dir, "*.cert")) {
      for (Path cert : certs) {
        String name = cert.getFileName().toString();
        Path key = dir.resolve(name.substring(0, name.length() - ".cert".length()) + ".key");
        if (!Files.isRegularFile(key)) {
          throw new IOException(cert + " has no key beside it (" + key.getFileName() + ")");
        }
        Certificate[] chain;
        try (InputStream in = Files.newInputStream(cert)) {
          chain = factory.generateCertificates(in).toArray(new Certificate[0]);
        }
        keys.setKeyEntry("client-" + n++, privateKey(key), password, chain);
      }
    }
    if (n == 0) {
      return null;
    }
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(keys, password);
    return kmf.getKeyManagers();
  }

  private static PrivateKey privateKey(Path file) throws IOException, GeneralSecurityException {
    String pem = Files.readString(file, StandardCharsets.US_ASCII);
    if (!pem.contains("-----BEGIN PRIVATE KEY-----")) {
      // The message names the file, never its content.
      throw new IOException(file + " is not a PKCS#8 PEM key (BEGIN PRIVATE KEY); convert it with openssl pkcs8 -topk8 -nocrypt");
    }
    String body = pem.substring(pem.indexOf("-----BEGIN PRIVATE KEY-----") + "-----BEGIN PRIVATE KEY-----".length(),
        pem.indexOf("-----END PRIVATE KEY-----"));
    PKCS8EncodedKeySpec spec = new PKCS8EncodedKeySpec(Base64.getMimeDecoder().decode(body));
    for (String algorithm : new String[] {"RSA", "EC", "Ed25519"}) {
      try {
        return KeyFactory.getInstance(algorithm).generatePrivate(spec);
      } catch (InvalidKeySpecException wrongAlgorithm) {
        // try the next
      }
    }
    throw new IOException(file + ": a key of an algorithm other than RSA, EC or Ed25519");
  }

  /** --tls-verify=false: an extended manager, so that the host name check is skipped too. */
  /**
   * A key manager with no key that notes when a server asks for a client certificate. Why:
   * under TLS 1.3 a server refuses a missing client certificate only after the client's side of
   * the handshake is done, and the JDK's client may then wait for an answer that never comes
   * (seen as a one-minute time-out under load); knowing that the server asked, the caller can
   * say so at once.
   */
  static final class ClientCertNotice extends javax.net.ssl.X509ExtendedKeyManager {
    private volatile boolean asked;

    /** Whether a server asked this context for a client certificate. */
    boolean asked() {
      return asked;
    }

    @Override
    public String chooseClientAlias(String[] keyType, java.security.Principal[] issuers, java.net.Socket socket) {
      asked = true;
      return null;
    }

    @Override
    public String chooseEngineClientAlias(String[] keyType, java.security.Principal[] issuers, javax.net.ssl.SSLEngine engine) {
      asked = true;
      return null;
    }

    @Override
    public String[] getClientAliases(String keyType, java.security.Principal[] issuers) {
      return null;
    }

    @Override
    public String[] getServerAliases(String keyType, java.security.Principal[] issuers) {
      return null;
    }

    @Override
    public String chooseServerAlias(String keyType, java.security.Principal[] issuers, java.net.Socket socket) {
      return null;
    }

    @Override
    public X509Certificate[] getCertificateChain(String alias) {
      return null;
    }

    @Override
    public PrivateKey getPrivateKey(String alias) {
      return null;
    }
  }

  private static final class TrustAnything extends X509ExtendedTrustManager {
    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) {}

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) {}

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {}

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {}

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) {}

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) {}

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return new X509Certificate[0];
    }
  }
}
