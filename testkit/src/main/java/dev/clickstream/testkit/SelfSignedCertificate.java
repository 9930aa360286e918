package dev.clickstream.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A TLS key pair and self-signed certificate for a test broker on 127.0.0.1, made with the JDK's {@code keytool}
 * (no library of our own): an EC P-256 key, valid 7 days, subject alternative names {@code localhost} and
 * {@code 127.0.0.1} so that Kafka clients' hostname verification ({@code ssl.endpoint.identification.algorithm=https},
 * their default) passes.
 */
final class SelfSignedCertificate {
  private SelfSignedCertificate() {}

  /**
   * @param keystore where the PKCS12 key store is written (its directory is created)
   * @param password the key store's and the key's password
   * @return the certificate in PEM
   * @throws UncheckedIOException when keytool fails or cannot be run
   */
  static String create(Path keystore, String password) {
    String keytool = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
    try {
      Files.createDirectories(keystore.getParent());
      Files.deleteIfExists(keystore);
      run(List.of(keytool, "-genkeypair", "-alias", "broker", "-keyalg", "EC", "-groupname", "secp256r1",
          "-dname", "CN=localhost", "-ext", "SAN=dns:localhost,ip:127.0.0.1", "-validity", "7",
          "-keystore", keystore.toString(), "-storetype", "PKCS12", "-storepass", password, "-keypass", password));
      return run(List.of(keytool, "-exportcert", "-rfc", "-alias", "broker", "-keystore", keystore.toString(),
          "-storetype", "PKCS12", "-storepass", password));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot make a certificate in " + keystore, e);
    }
  }

  private static String run(List<String> command) throws IOException {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    try {
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
        throw new IOException("keytool failed: " + out.strip());
      }
      return out;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while running keytool", e);
    } finally {
      p.destroyForcibly();
    }
  }
}
