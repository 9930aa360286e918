package dev.clickstream.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.clickstream.app.config.Settings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * What the runtime does before and after its queries run, without Kafka or Postgres: a metrics port in use, a
 * session time zone other than UTC, a query that does not stop. Each is refused or named in one line.
 */
class PipelineRuntimeTest {
  private static SparkSession spark;

  @BeforeAll
  static void session() {
    spark = SparkSession.builder().config(SparkSessionConfig.of(settings(Path.of("unused")).build()))
        .config("spark.ui.enabled", "false").getOrCreate();
  }

  @AfterAll
  static void stop() {
    spark.stop();
  }

  /** Settings of a pipeline that never reaches its brokers or database: the runtime stops before it would. */
  private static Settings.Builder settings(Path dir) {
    return Settings.builder().kafkaBootstrapServers("127.0.0.1:1").database("jdbc:postgresql://127.0.0.1:1/none", "u", "p")
        .lakePath(dir.resolve("lake")).checkpointRoot(dir.resolve("checkpoints")).availableNow().sparkMaster("local[2]")
        .metricsPort(0);
  }

  @Test
  void aMetricsPortInUseIsOneLineAndExitOneBeforeAnyQueryStarts() throws Exception {
    try (java.net.ServerSocket taken = new java.net.ServerSocket(0)) {
      Settings settings = settings(Files.createTempDirectory("metrics-port-")).metricsPort(taken.getLocalPort()).build();
      Results.Exit exit = Results.capturingStderr(() -> new PipelineRuntime(spark, settings).runUntilDone());
      assertThat(exit.status()).isEqualTo(1);
      assertThat(exit.stderr()).singleElement().asString()
          .startsWith("clickstream: cannot serve metrics on 127.0.0.1 port " + taken.getLocalPort() + " (")
          .endsWith("or an address of this host (METRICS_BIND_ADDRESS)");
      assertThat(spark.streams().active()).isEmpty();
    }
  }

  private static volatile boolean releaseStuckBatch;

  /**
   * A query whose micro-batch ignores interrupts (as a blocking socket read does) cannot be stopped: Spark's
   * {@code spark.sql.streaming.stopTimeout} (set from STOP_TIMEOUT) bounds the wait, and the query is named.
   */
  @Test
  void aQueryThatDoesNotStopWithinTheStopTimeoutIsNamed() throws Exception {
    var entered = new java.util.concurrent.CountDownLatch(1);
    releaseStuckBatch = false;
    spark.conf().set("spark.sql.streaming.stopTimeout", "2000"); // read by stop(), from this session
    org.apache.spark.sql.streaming.StreamingQuery query = null;
    try {
      query = spark.readStream().format("rate").option("rowsPerSecond", 1).load().writeStream()
          .queryName("never-stops")
          .option("checkpointLocation", Files.createTempDirectory("never-stops-").toString())
          .foreachBatch((org.apache.spark.api.java.function.VoidFunction2<Dataset<Row>, Long>) (batch, id) -> {
            entered.countDown();
            long giveUp = System.nanoTime() + 120_000_000_000L;
            while (!releaseStuckBatch && System.nanoTime() < giveUp) {
              try {
                Thread.sleep(20);
              } catch (InterruptedException ignored) {
                // like a JDBC or NFS call that does not answer an interrupt
              }
            }
          })
          .start();
      assertThat(entered.await(60, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
      long asked = System.nanoTime();
      assertThat(QuerySupervisor.stopAll(List.of(query))).containsExactly("never-stops");
      assertThat((System.nanoTime() - asked) / 1e9).as("bounded by the stop timeout").isBetween(1.5, 30.0);
    } finally {
      spark.conf().unset("spark.sql.streaming.stopTimeout");
      releaseStuckBatch = true;
      var started = query;
      if (started != null) {
        // gone from the session's active queries, which Spark updates after isActive() turns false: the next test
        // asserts that no query is active
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(60)).until(() -> !started.isActive()
            && java.util.Arrays.stream(spark.streams().active()).noneMatch(q -> q.id().equals(started.id())));
      }
    }
  }

  @Test
  void aSessionTimeZoneOtherThanUtcIsOneLineAndExitTwo() throws Exception {
    Settings settings = settings(Files.createTempDirectory("time-zone-")).build();
    spark.conf().set("spark.sql.session.timeZone", "Europe/Berlin");
    Results.Exit exit;
    try {
      exit = Results.capturingStderr(() -> new PipelineRuntime(spark, settings).runUntilDone());
    } finally {
      spark.conf().set("spark.sql.session.timeZone", "UTC");
    }
    assertThat(exit.status()).isEqualTo(2);
    assertThat(exit.stderr()).singleElement().asString()
        .isEqualTo("clickstream: spark.sql.session.timeZone is Europe/Berlin, but event_date partitions and timestamps "
            + "are UTC by contract: remove that setting or set it to UTC");
    assertThat(spark.streams().active()).isEmpty();
    for (String utc : List.of("UTC", "Etc/UTC", "GMT", "Z", "+00:00")) {
      StartupChecks.requireUtc(utc);
    }
  }

}
