package dev.clickstream.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

class FixturesTest {
  @RegisterExtension static final KafkaBrokerExtension KAFKA = new KafkaBrokerExtension();
  @RegisterExtension static final PostgresExtension PG = new PostgresExtension();

  @Test
  void brokerRoundTripsRecordsOnAllPartitions() throws Exception {
    KAFKA.createTopic("roundtrip", 4);
    try (var producer = new KafkaProducer<String, String>(Map.of(
        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.bootstrapServers()), new StringSerializer(), new StringSerializer())) {
      for (int i = 0; i < 100; i++) {
        producer.send(new ProducerRecord<>("roundtrip", "k" + i, "v" + i));
      }
    }
    List<ConsumerRecord<String, String>> seen = new ArrayList<>();
    try (var consumer = new KafkaConsumer<String, String>(Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.bootstrapServers(),
        ConsumerConfig.GROUP_ID_CONFIG, "fixtures",
        ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"), new StringDeserializer(), new StringDeserializer())) {
      consumer.subscribe(List.of("roundtrip"));
      long deadline = System.currentTimeMillis() + 30_000;
      while (seen.size() < 100 && System.currentTimeMillis() < deadline) {
        consumer.poll(Duration.ofMillis(500)).forEach(seen::add);
      }
    }
    assertThat(seen).hasSize(100);
    assertThat(seen).extracting(ConsumerRecord::partition).containsOnly(0, 1, 2, 3).hasSizeGreaterThan(3);
  }

  @Test
  void brokerRefusesUnknownTopicsInsteadOfCreatingThem() throws Exception {
    try (var admin = KAFKA.broker().admin()) {
      assertThat(admin.listTopics().names().get()).doesNotContain("never_created");
    }
  }

  @Test
  void brokerKeepsTopicsAcrossRestartOnTheSameDirectory(@TempDir Path dir) throws Exception {
    try (KafkaBroker first = KafkaBroker.start(dir, 0, false)) {
      first.createTopic("kept", 2);
    }
    assertThat(Files.exists(dir.resolve("meta.properties"))).isTrue();
    try (KafkaBroker second = KafkaBroker.start(dir, 0, false); var admin = second.admin()) {
      assertThat(admin.listTopics().names().get()).contains("kept");
    }
  }

  @Test
  void aStoppedBrokerRefusesClientsAndComesBackOnItsPortWithItsRecords(@TempDir Path dir) throws Exception {
    try (KafkaBroker broker = KafkaBroker.start(dir, 0, false)) {
      broker.createTopic("kept", 1);
      try (var producer = new KafkaProducer<String, String>(Map.<String, Object>of(
          "bootstrap.servers", broker.bootstrapServers()), new StringSerializer(), new StringSerializer())) {
        producer.send(new ProducerRecord<>("kept", "k", "v")).get();
      }
      broker.stop();
      try (var admin = org.apache.kafka.clients.admin.Admin.create(Map.<String, Object>of("bootstrap.servers",
          broker.bootstrapServers(), "default.api.timeout.ms", 2_000, "request.timeout.ms", 1_000))) {
        assertThatThrownBy(() -> admin.describeCluster().nodes().get())
            .as("nobody listens while stopped").isInstanceOf(java.util.concurrent.ExecutionException.class);
      }
      broker.restart();
      try (var admin = broker.admin()) {
        var end = admin.listOffsets(Map.of(new org.apache.kafka.common.TopicPartition("kept", 0),
            org.apache.kafka.clients.admin.OffsetSpec.latest())).all().get();
        assertThat(end.values()).singleElement().extracting(r -> r.offset()).isEqualTo(1L);
      }
    }
  }

  @Test
  void postgresStartsOverAServerThatAKilledJvmLeftRunning(@TempDir Path dir) throws Exception {
    int port = FreePorts.next();
    Path data = dir.resolve("postgres");
    Process jvm = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), LeftoverPostgres.class.getName(), data.toString(), String.valueOf(port))
        .redirectErrorStream(true).start();
    var out = new java.io.BufferedReader(new java.io.InputStreamReader(jvm.getInputStream()));
    String line;
    while ((line = out.readLine()) != null && !line.startsWith("ready")) {
      // start-up output
    }
    assertThat(line).isEqualTo("ready " + port);
    jvm.destroyForcibly().waitFor(); // kill -9: the server, in its own process group, keeps running
    assertThat(FreePorts.isFree(port)).as("the leftover server still holds the port").isFalse();

    try (PostgresServer again = PostgresServer.start(data, port, false)) {
      assertThat(again.port()).isEqualTo(port);
      try (var c = java.sql.DriverManager.getConnection(again.jdbcUrl("survivor"), PostgresServer.USER, PostgresServer.PASSWORD)) {
        assertThat(c.isValid(5)).as("the data of the first run").isTrue();
      }
    }
  }

  @Test
  void distinctFreePortsNeverRepeatAndSkipTakenOnes() {
    for (int round = 0; round < 50; round++) {
      int[] ports = FreePorts.distinct(3);
      assertThat(ports).doesNotHaveDuplicates();
      assertThat(java.util.Arrays.stream(ports).allMatch(FreePorts::isFree)).isTrue();
      assertThat(FreePorts.distinct(2, ports)).doesNotContain(ports);
    }
  }

  @Test
  void brokerNamesAPortInUse() {
    int port = Integer.parseInt(KAFKA.bootstrapServers().replaceAll(".*:", ""));
    assertThatThrownBy(() -> KafkaBroker.start(Path.of("/tmp/unused"), port, true))
        .hasMessageContaining("port " + port);
  }

  @Test
  void postgresIsVersion17AndGivesEachClassItsOwnDatabase() throws Exception {
    try (Connection c = DriverManager.getConnection(PG.jdbcUrl(), PG.user(), PG.password())) {
      ResultSet rs = c.createStatement().executeQuery("SELECT current_setting('server_version_num')::int, current_database()");
      rs.next();
      assertThat(rs.getInt(1)).isBetween(170000, 179999);
      assertThat(rs.getString(2)).startsWith("fixturestest_");
    }
  }

  @Test
  void postgresKeepsDataAcrossStopAndRestart(@TempDir Path dir) throws Exception {
    try (PostgresServer server = PostgresServer.start(dir.resolve("pg"), 0, false)) {
      String url = server.createDatabase("kept");
      try (Connection c = DriverManager.getConnection(url, PostgresServer.USER, PostgresServer.PASSWORD)) {
        c.createStatement().execute("CREATE TABLE t(x int); INSERT INTO t VALUES (42)");
      }
      server.stop();
      assertThatThrownBy(() -> DriverManager.getConnection(url, PostgresServer.USER, PostgresServer.PASSWORD).close())
          .isInstanceOf(java.sql.SQLException.class);
      server.restart();
      try (Connection c = DriverManager.getConnection(url, PostgresServer.USER, PostgresServer.PASSWORD)) {
        ResultSet rs = c.createStatement().executeQuery("SELECT x FROM t");
        rs.next();
        assertThat(rs.getInt(1)).isEqualTo(42);
      }
    }
  }
}
