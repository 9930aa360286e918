package dev.clickstream.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The container fixtures themselves, on a machine with Docker (skipped elsewhere, "Docker not available"): the
 * images answer like the embedded ones, and an outage (Docker stop and start) keeps address and data. What these
 * fixtures replace is covered here by {@link FixturesTest} on the embedded ones, which the same extensions give.
 */
class ContainerFixturesTest {

  @BeforeEach
  void needsDocker() {
    Assumptions.assumeTrue(Fixtures.dockerAvailable(), "Docker not available: the container fixtures need a Docker engine");
  }

  @Test
  void kafkaKeepsItsRecordsAndAddressAcrossAnOutage() throws Exception {
    try (KafkaContainerFixture kafka = KafkaContainerFixture.start()) {
      kafka.createTopic("t", 2);
      String address = kafka.bootstrapServers();
      try (var p = new KafkaProducer<>(Map.<String, Object>of("bootstrap.servers", address), new StringSerializer(),
          new StringSerializer())) {
        p.send(new ProducerRecord<>("t", "k", "v")).get(30, TimeUnit.SECONDS);
      }
      kafka.stop();
      kafka.restart();
      assertThat(kafka.bootstrapServers()).isEqualTo(address);
      try (var admin = kafka.admin()) {
        assertThat(admin.listTopics().names().get(30, TimeUnit.SECONDS)).contains("t").doesNotContain("never_created");
      }
    }
  }

  @Test
  void postgresIsVersion17AndKeepsItsDataAcrossAnOutage() throws Exception {
    try (PostgresContainerFixture pg = PostgresContainerFixture.start()) {
      String url = pg.createDatabase("survivor");
      try (Connection c = DriverManager.getConnection(url, pg.user(), pg.password())) {
        c.createStatement().execute("CREATE TABLE kept (n int); INSERT INTO kept VALUES (17)");
        ResultSet rs = c.createStatement().executeQuery("SELECT current_setting('server_version_num')::int");
        rs.next();
        assertThat(rs.getInt(1) / 10000).isEqualTo(17);
      }
      pg.stop();
      pg.restart();
      try (Connection c = DriverManager.getConnection(url, pg.user(), pg.password())) {
        ResultSet rs = c.createStatement().executeQuery("SELECT n FROM kept");
        rs.next();
        assertThat(List.of(rs.getInt(1))).containsExactly(17);
      }
    }
  }
}
