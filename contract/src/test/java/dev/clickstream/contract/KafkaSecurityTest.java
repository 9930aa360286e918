package dev.clickstream.contract;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** The Kafka client security settings every client of the project reads (the pipeline, the producer, the tools). */
class KafkaSecurityTest {
  @Test
  void saslOverTlsGivesTheClientPropertiesWithThePemTrustStore() {
    KafkaSecurity s = KafkaSecurity.of("sasl_ssl", "scram-sha-512", "x required;", "-----BEGIN CERTIFICATE-----");
    assertThat(s.clientProperties()).isEqualTo(Map.of("security.protocol", "SASL_SSL", "sasl.mechanism", "SCRAM-SHA-512",
        "sasl.jaas.config", "x required;", "ssl.truststore.type", "PEM",
        "ssl.truststore.certificates", "-----BEGIN CERTIFICATE-----"));
    assertThat(s.describe()).isEqualTo("SASL_SSL, SCRAM-SHA-512");
    assertThat(s.toString()).doesNotContain("x required");
    assertThat(KafkaSecurity.of(null, null, null, null)).isEqualTo(KafkaSecurity.PLAINTEXT);
  }

  @Test
  void settingsTheProtocolWouldNotUseAreRefusedNamingThem() {
    assertThatThrownBy(() -> KafkaSecurity.of("PLAINTEXT", "SCRAM-SHA-512", "x required;", null))
        .isInstanceOf(StartupFailure.class).hasMessageStartingWith("KAFKA_SASL_JAAS_CONFIG is set but "
            + "KAFKA_SECURITY_PROTOCOL=PLAINTEXT would not send it")
        .extracting(e -> ((StartupFailure) e).exitStatus()).isEqualTo(StartupFailure.BAD_SETTING);
    assertThatThrownBy(() -> KafkaSecurity.of("SASL_PLAINTEXT", "PLAIN", "x required;", "-----BEGIN CERTIFICATE-----"))
        .hasMessageStartingWith("KAFKA_SSL_TRUSTSTORE_CERTIFICATES is set but KAFKA_SECURITY_PROTOCOL=SASL_PLAINTEXT "
            + "does not use TLS");
    assertThatThrownBy(() -> KafkaSecurity.of("SSL", null, null, "pem"))
        .hasMessage("KAFKA_SSL_TRUSTSTORE_CERTIFICATES is not PEM (no -----BEGIN CERTIFICATE----- line)");
    assertThatThrownBy(() -> KafkaSecurity.of("SASL_SSL", "GSSAPI", "x required;", null))
        .hasMessage("KAFKA_SASL_MECHANISM: 'GSSAPI' is not one of [SCRAM-SHA-512, SCRAM-SHA-256, PLAIN]");
  }
}
