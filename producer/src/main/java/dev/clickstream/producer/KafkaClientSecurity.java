package dev.clickstream.producer;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.common.config.SaslConfigs;
import org.apache.kafka.common.config.SslConfigs;
import org.apache.kafka.common.security.auth.SecurityProtocol;

/**
 * The producer's Kafka authentication: Kafka client settings from the same environment variables as the Spark
 * application's (DESIGN §5): KAFKA_SECURITY_PROTOCOL, KAFKA_SASL_MECHANISM, KAFKA_SASL_JAAS_CONFIG (a secret: from
 * the environment only, never a flag, never logged) and KAFKA_SSL_TRUSTSTORE_CERTIFICATES (PEM).
 *
 * @param protocol Kafka's {@code security.protocol}
 * @param mechanism {@code sasl.mechanism}, used with SASL_SSL and SASL_PLAINTEXT
 * @param properties the Kafka client settings, without {@code bootstrap.servers}
 */
public record KafkaClientSecurity(String protocol, String mechanism, Map<String, String> properties) {

  /** PLAINTEXT: no authentication, no TLS. */
  public static final KafkaClientSecurity PLAINTEXT = new KafkaClientSecurity("PLAINTEXT", "",
      Map.of(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG, "PLAINTEXT"));

  /**
   * @param protocol KAFKA_SECURITY_PROTOCOL (or {@code --security-protocol}): PLAINTEXT, SSL, SASL_PLAINTEXT or
   *     SASL_SSL
   * @param mechanism KAFKA_SASL_MECHANISM (or {@code --sasl-mechanism}), e.g. SCRAM-SHA-512
   * @param env the environment, for KAFKA_SASL_JAAS_CONFIG and KAFKA_SSL_TRUSTSTORE_CERTIFICATES
   * @return the settings
   * @throws IllegalArgumentException naming the setting: an unknown protocol, SASL without a JAAS line, a JAAS line
   *     or certificates the protocol would not use
   */
  public static KafkaClientSecurity of(String protocol, String mechanism, Map<String, String> env) {
    SecurityProtocol p;
    try {
      p = SecurityProtocol.forName(protocol.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("KAFKA_SECURITY_PROTOCOL: '" + protocol + "' is not one of "
          + SecurityProtocol.names());
    }
    String jaas = env.getOrDefault("KAFKA_SASL_JAAS_CONFIG", "").trim();
    String pem = env.getOrDefault("KAFKA_SSL_TRUSTSTORE_CERTIFICATES", "").trim();
    boolean sasl = p == SecurityProtocol.SASL_SSL || p == SecurityProtocol.SASL_PLAINTEXT;
    boolean tls = p == SecurityProtocol.SSL || p == SecurityProtocol.SASL_SSL;
    if (sasl == jaas.isEmpty()) {
      throw new IllegalArgumentException(sasl
          ? "KAFKA_SASL_JAAS_CONFIG (environment) is required with security protocol " + p.name
          : "KAFKA_SASL_JAAS_CONFIG is set but security protocol " + p.name + " would not send it");
    }
    if (!tls && !pem.isEmpty()) {
      throw new IllegalArgumentException("KAFKA_SSL_TRUSTSTORE_CERTIFICATES is set but security protocol " + p.name
          + " does not use TLS");
    }
    Map<String, String> props = new LinkedHashMap<>();
    props.put(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG, p.name);
    if (sasl) {
      props.put(SaslConfigs.SASL_MECHANISM, mechanism.trim().toUpperCase(Locale.ROOT));
      props.put(SaslConfigs.SASL_JAAS_CONFIG, jaas);
    }
    if (!pem.isEmpty()) {
      props.put(SslConfigs.SSL_TRUSTSTORE_TYPE_CONFIG, "PEM");
      props.put(SslConfigs.SSL_TRUSTSTORE_CERTIFICATES_CONFIG, pem);
    }
    return new KafkaClientSecurity(p.name, sasl ? mechanism.trim().toUpperCase(Locale.ROOT) : "", Map.copyOf(props));
  }

  /** @return e.g. {@code SASL_SSL, SCRAM-SHA-512}: for messages, without secrets */
  @Override
  public String toString() {
    return mechanism.isEmpty() ? protocol : protocol + ", " + mechanism;
  }
}
