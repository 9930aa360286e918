package dev.clickstream.contract;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.common.config.SaslConfigs;
import org.apache.kafka.common.config.SslConfigs;

/**
 * How the pipeline's Kafka clients authenticate (architecture §5): the Kafka client settings {@code security.protocol},
 * {@code sasl.mechanism}, {@code sasl.jaas.config} and a PEM trust store, validated together. On Kubernetes the
 * JAAS line and the CA certificate come from Secrets that Strimzi generates (the KafkaUser's Secret, key
 * {@code sasl.jaas.config}; {@code <cluster>-cluster-ca-cert}, key {@code ca.crt}); locally everything is
 * PLAINTEXT and none of them is set.
 *
 * @param protocol KAFKA_SECURITY_PROTOCOL: PLAINTEXT (default), SSL, SASL_PLAINTEXT or SASL_SSL (Kafka's
 *     {@code security.protocol})
 * @param saslMechanism KAFKA_SASL_MECHANISM: SCRAM-SHA-512 (default; Strimzi's {@code scram-sha-512}
 *     authentication), SCRAM-SHA-256 or PLAIN; used with the SASL protocols only
 * @param saslJaasConfig KAFKA_SASL_JAAS_CONFIG: the client's JAAS line with user and password; required with the
 *     SASL protocols, refused without them; a secret, never logged
 * @param truststoreCertificates KAFKA_SSL_TRUSTSTORE_CERTIFICATES: PEM certificates of the CAs the brokers'
 *     certificates are checked against (Kafka's {@code ssl.truststore.type=PEM}); empty = the JVM's trust store;
 *     refused without TLS
 */
public record KafkaSecurity(String protocol, String saslMechanism, Optional<String> saslJaasConfig,
    Optional<String> truststoreCertificates) {

  /** Kafka's security protocols ({@code org.apache.kafka.common.security.auth.SecurityProtocol}). */
  public static final List<String> PROTOCOLS = List.of("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL");
  /** SASL mechanisms whose only client setting is the JAAS line (Kafka security docs). */
  public static final List<String> MECHANISMS = List.of("SCRAM-SHA-512", "SCRAM-SHA-256", "PLAIN");

  /** No authentication, no TLS: the local default. */
  public static final KafkaSecurity PLAINTEXT = new KafkaSecurity("PLAINTEXT", "SCRAM-SHA-512", Optional.empty(),
      Optional.empty());

  /**
   * Validates the four settings together.
   *
   * @param protocol KAFKA_SECURITY_PROTOCOL, null or blank = PLAINTEXT
   * @param mechanism KAFKA_SASL_MECHANISM, null or blank = SCRAM-SHA-512
   * @param jaasConfig KAFKA_SASL_JAAS_CONFIG, null or blank = unset
   * @param certificates KAFKA_SSL_TRUSTSTORE_CERTIFICATES, null or blank = unset
   * @return the security settings
   * @throws StartupFailure naming the setting: an unknown protocol or mechanism, a SASL protocol without a JAAS
   *     line, a JAAS line or certificates that the protocol would not use, certificates that are not PEM
   */
  public static KafkaSecurity of(String protocol, String mechanism, String jaasConfig, String certificates) {
    String p = blank(protocol) ? "PLAINTEXT" : protocol.trim().toUpperCase(java.util.Locale.ROOT);
    if (!PROTOCOLS.contains(p)) {
      throw StartupFailure.badSetting("KAFKA_SECURITY_PROTOCOL: '" + protocol.trim() + "' is not one of " + PROTOCOLS);
    }
    String m = blank(mechanism) ? "SCRAM-SHA-512" : mechanism.trim().toUpperCase(java.util.Locale.ROOT);
    if (!MECHANISMS.contains(m)) {
      throw StartupFailure.badSetting("KAFKA_SASL_MECHANISM: '" + mechanism.trim() + "' is not one of " + MECHANISMS);
    }
    boolean sasl = p.startsWith("SASL_");
    boolean tls = p.endsWith("SSL");
    if (sasl && blank(jaasConfig)) {
      throw StartupFailure.badSetting("KAFKA_SASL_JAAS_CONFIG is required with KAFKA_SECURITY_PROTOCOL=" + p
          + " (the client's JAAS line; on Kubernetes the KafkaUser Secret's sasl.jaas.config)");
    }
    if (!sasl && !blank(jaasConfig)) {
      throw StartupFailure.badSetting("KAFKA_SASL_JAAS_CONFIG is set but KAFKA_SECURITY_PROTOCOL=" + p
          + " would not send it; use SASL_SSL or SASL_PLAINTEXT");
    }
    if (!tls && !blank(certificates)) {
      throw StartupFailure.badSetting("KAFKA_SSL_TRUSTSTORE_CERTIFICATES is set but KAFKA_SECURITY_PROTOCOL=" + p
          + " does not use TLS; use SASL_SSL or SSL");
    }
    if (!blank(certificates) && !certificates.contains("-----BEGIN CERTIFICATE-----")) {
      throw StartupFailure.badSetting("KAFKA_SSL_TRUSTSTORE_CERTIFICATES is not PEM (no -----BEGIN CERTIFICATE----- line)");
    }
    return new KafkaSecurity(p, m, blank(jaasConfig) ? Optional.empty() : Optional.of(jaasConfig.trim()),
        blank(certificates) ? Optional.empty() : Optional.of(certificates.trim()));
  }

  /** @return whether the clients authenticate with SASL */
  public boolean sasl() {
    return protocol.startsWith("SASL_");
  }

  /**
   * @return Kafka client settings (without {@code bootstrap.servers}): {@code security.protocol}, and with SASL
   *     {@code sasl.mechanism} and {@code sasl.jaas.config}, and with PEM certificates
   *     {@code ssl.truststore.type=PEM} and {@code ssl.truststore.certificates}; the values are secrets where Kafka
   *     types them as passwords (it logs those as {@code [hidden]})
   */
  public Map<String, String> clientProperties() {
    Map<String, String> props = new LinkedHashMap<>();
    props.put(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG, protocol);
    if (sasl()) {
      props.put(SaslConfigs.SASL_MECHANISM, saslMechanism);
      props.put(SaslConfigs.SASL_JAAS_CONFIG, saslJaasConfig.orElseThrow());
    }
    truststoreCertificates.ifPresent(pem -> {
      props.put(SslConfigs.SSL_TRUSTSTORE_TYPE_CONFIG, "PEM");
      props.put(SslConfigs.SSL_TRUSTSTORE_CERTIFICATES_CONFIG, pem);
    });
    return props;
  }

  /** @return e.g. {@code SASL_SSL, SCRAM-SHA-512} or {@code PLAINTEXT}: for logs and error lines, no secret */
  public String describe() {
    return sasl() ? protocol + ", " + saslMechanism : protocol;
  }

  /** Never prints the JAAS line. */
  @Override
  public String toString() {
    return "KafkaSecurity[" + describe() + (truststoreCertificates.isPresent() ? ", PEM trust store" : "") + "]";
  }

  private static boolean blank(String s) {
    return s == null || s.isBlank();
  }
}
