package dev.strata.registry;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.function.LongConsumer;

/**
 * One HTTP/1.1 request over plain http whose body is a file, handed by the kernel from the
 * page cache to the socket ({@link FileChannel#transferTo}, sendfile on Linux): the bytes of a
 * blob upload never pass through the heap, so a big layer costs the JVM next to no CPU, where
 * the HTTP client copies every 16 KiB through buffers of its own. One connection per request,
 * closed after the answer ({@code Connection: close}), so that the answer's end is the
 * connection's end whatever framing the server picks. https uploads keep to the HTTP client.
 */
final class FileUpload {
  /** Bytes per transferTo call, so that progress is reported as the upload goes. */
  private static final long SLICE = 8 << 20;
  private static final int MAX_HEAD = 64 << 10;
  private static final int MAX_BODY = 1 << 20;

  /** The status, headers (lower-case names, the last value of each) and body of the answer. */
  record Answer(int status, Map<String, String> headers, byte[] body) {
    String header(String name) {
      return headers.get(name.toLowerCase(Locale.ROOT));
    }
  }

  private FileUpload() {}

  /**
   * Sends {@code method uri} with {@code headers} and the {@code size} bytes of {@code file};
   * {@code sent} hears the bytes sent so far.
   */
  static Answer send(String method, URI uri, Map<String, String> headers, Path file, long size, LongConsumer sent,
      Duration connectTimeout, Duration timeout) throws IOException {
    if (!"http".equals(uri.getScheme())) {
      throw new IllegalArgumentException("not a plain-http URI: " + uri);
    }
    StringBuilder head = new StringBuilder(256);
    String target = (uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath())
        + (uri.getRawQuery() != null ? "?" + uri.getRawQuery() : "");
    head.append(method).append(' ').append(target).append(" HTTP/1.1\r\n");
    head.append("Host: ").append(uri.getRawAuthority()).append("\r\n");
    head.append("User-Agent: strata\r\n");
    headers.forEach((k, v) -> {
      if (k.indexOf('\r') >= 0 || k.indexOf('\n') >= 0 || v.indexOf('\r') >= 0 || v.indexOf('\n') >= 0) {
        throw new IllegalArgumentException("a line break in header " + k);
      }
      head.append(k).append(": ").append(v).append("\r\n");
    });
    head.append("Content-Length: ").append(size).append("\r\n");
    head.append("Connection: close\r\n\r\n");

    int port = uri.getPort() != -1 ? uri.getPort() : 80;
    try (SocketChannel socket = SocketChannel.open()) {
      socket.socket().connect(new InetSocketAddress(uri.getHost(), port), (int) connectTimeout.toMillis());
      socket.socket().setSoTimeout((int) Math.min(Integer.MAX_VALUE, timeout.toMillis()));
      IOException sending = null;
      try (FileChannel in = FileChannel.open(file, StandardOpenOption.READ)) {
        ByteBuffer h = ByteBuffer.wrap(head.toString().getBytes(StandardCharsets.ISO_8859_1));
        while (h.hasRemaining()) {
          socket.write(h);
        }
        long offset = 0;
        while (offset < size) {
          long n = in.transferTo(offset, Math.min(SLICE, size - offset), socket);
          if (n <= 0) {
            if (offset >= in.size()) {
              throw new IOException(file + " ended at " + offset + " of " + size + " bytes");
            }
            continue;
          }
          offset += n;
          sent.accept(offset);
        }
      } catch (IOException e) {
        // The server may have answered early (an error, a refusal) and closed: its answer says more.
        sending = e;
      }
      try {
        return read(new BufferedInputStream(socket.socket().getInputStream(), 8192));
      } catch (IOException e) {
        if (sending != null) {
          sending.addSuppressed(e);
          throw sending;
        }
        throw e;
      }
    }
  }

  private static Answer read(InputStream in) throws IOException {
    while (true) {
      String status = line(in);
      String[] parts = status.split(" ", 3);
      if (parts.length < 2 || !parts[0].startsWith("HTTP/1.")) {
        throw new IOException("not an HTTP answer: " + status);
      }
      int code;
      try {
        code = Integer.parseInt(parts[1]);
      } catch (NumberFormatException e) {
        throw new IOException("not an HTTP status: " + status);
      }
      Map<String, String> headers = new HashMap<>();
      int total = 0;
      for (String l = line(in); !l.isEmpty(); l = line(in)) {
        total += l.length();
        if (total > MAX_HEAD) {
          throw new IOException("HTTP headers longer than " + MAX_HEAD + " bytes");
        }
        int colon = l.indexOf(':');
        if (colon > 0) {
          headers.put(l.substring(0, colon).trim().toLowerCase(Locale.ROOT), l.substring(colon + 1).trim());
        }
      }
      if (code >= 100 && code < 200) {
        continue; // an interim answer (100 Continue): the real one follows
      }
      return new Answer(code, Map.copyOf(headers), body(in, headers));
    }
  }

  private static byte[] body(InputStream in, Map<String, String> headers) throws IOException {
    String encoding = headers.get("transfer-encoding");
    if (encoding != null && encoding.toLowerCase(Locale.ROOT).contains("chunked")) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      while (true) {
        String sizeLine = line(in);
        int semicolon = sizeLine.indexOf(';');
        int n;
        try {
          n = Integer.parseInt((semicolon >= 0 ? sizeLine.substring(0, semicolon) : sizeLine).trim(), 16);
        } catch (NumberFormatException e) {
          throw new IOException("bad chunk size in an HTTP answer: " + sizeLine);
        }
        if (n == 0) {
          break;
        }
        if (out.size() + n > MAX_BODY) {
          throw new IOException("HTTP answer longer than " + MAX_BODY + " bytes");
        }
        out.write(in.readNBytes(n));
        line(in);
      }
      return out.toByteArray();
    }
    String length = headers.get("content-length");
    if (length != null) {
      long n;
      try {
        n = Long.parseLong(length);
      } catch (NumberFormatException e) {
        throw new IOException("bad Content-Length in an HTTP answer: " + length);
      }
      byte[] body = in.readNBytes((int) Math.min(n, MAX_BODY));
      if (body.length < Math.min(n, MAX_BODY)) {
        throw new IOException("HTTP answer ended after " + body.length + " of " + n + " bytes");
      }
      return body;
    }
    return in.readNBytes(MAX_BODY); // Connection: close ends it
  }

  /** Reads one line, without its CR LF. */
  private static String line(InputStream in) throws IOException {
    StringBuilder s = new StringBuilder(64);
    while (true) {
      int c = in.read();
      if (c < 0) {
        if (s.length() == 0) {
          throw new IOException("the server closed the connection without an answer");
        }
        return s.toString();
      }
      if (c == '\n') {
        int end = s.length();
        return end > 0 && s.charAt(end - 1) == '\r' ? s.substring(0, end - 1) : s.toString();
      }
      if (s.length() >= MAX_HEAD) {
        throw new IOException("HTTP header line longer than " + MAX_HEAD + " bytes");
      }
      s.append((char) c);
    }
  }
}
