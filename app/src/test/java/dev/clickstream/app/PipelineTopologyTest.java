package dev.clickstream.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.clickstream.app.config.IngestMode;
import dev.clickstream.app.config.Settings;
import dev.clickstream.app.metrics.PipelineMetrics;
import dev.clickstream.app.sink.AnalyticsSink;
import dev.clickstream.app.sink.IngestSink;
import dev.clickstream.app.sink.LakeSink;
import dev.clickstream.app.sink.PostgresUpsertSink;
import dev.clickstream.contract.Query;
import java.time.Duration;
import java.util.List;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The topology without starting it: the four queries in the order data flows, each with its sink, trigger and
 * checkpoint. Nothing connects (a streaming Dataset reads only when its query starts).
 */
class PipelineTopologyTest {
  private static SparkSession spark;
  private static Settings settings;

  @BeforeAll
  static void session() {
    settings = Settings.builder().database("jdbc:postgresql://127.0.0.1:1/none", "u", "p")
        .checkpointRoot(java.nio.file.Path.of("/data/checkpoints/")).triggerInterval(Duration.ofSeconds(10))
        .lakeTriggerInterval(Duration.ofMinutes(1)).realTimeBatchDuration(Duration.ofSeconds(30)).sparkMaster("local[1]")
        .build();
    spark = SparkSession.builder().config(SparkSessionConfig.of(settings)).config("spark.ui.enabled", "false")
        .getOrCreate();
  }

  @AfterAll
  static void stop() {
    spark.stop();
  }

  @Test
  void theFourQueriesInTheOrderDataFlowsEachOnItsOwnCheckpoint() {
    List<QuerySpec> queries = new PipelineTopology(spark, settings, new PipelineMetrics()).queries(IngestMode.MICRO_BATCH);
    assertThat(queries).extracting(QuerySpec::query).containsExactly(Query.values());
    assertThat(queries).extracting(QuerySpec::checkpoint).containsExactly("/data/checkpoints/ingest",
        "/data/checkpoints/lake", "/data/checkpoints/analytics", "/data/checkpoints/user-sessions");
    assertThat(queries).extracting(q -> (Object) q.sink().getClass()).containsExactly(IngestSink.class, LakeSink.class,
        AnalyticsSink.class, PostgresUpsertSink.class);
    assertThat(queries).extracting(q -> q.trigger().interval()).containsExactly(Duration.ofSeconds(10),
        Duration.ofMinutes(1), Duration.ofSeconds(10), Duration.ofSeconds(10));
    assertThat(queries).extracting(QuerySpec::noDataMicroBatches).as("only the update-mode aggregation skips them")
        .containsExactly(true, true, false, true);
    assertThat(queries).allSatisfy(q -> assertThat(q.rows().isStreaming()).isTrue());
    assertThat(queries.get(2).rows().columns()).contains("table", "window_start", "window_end");
    assertThat(queries.get(3).rows().columns()).contains("user_id", "session_start", "status", "deleted");
  }

  @Test
  void realTimeIngestHasItsOwnReaderAndTrigger() {
    List<QuerySpec> queries = new PipelineTopology(spark, settings, new PipelineMetrics()).queries(IngestMode.REAL_TIME);
    QuerySpec ingest = queries.get(0);
    assertThat(ingest.trigger().realTime()).isTrue();
    assertThat(ingest.trigger().interval()).isEqualTo(Duration.ofSeconds(30));
    assertThat(queries.subList(1, 4)).allSatisfy(q -> assertThat(q.trigger().realTime()).isFalse());
  }
}
