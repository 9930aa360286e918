package dev.clickstream.app.sink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.clickstream.app.config.Settings;
import dev.clickstream.app.source.EventSchema;
import dev.clickstream.contract.StartupFailure;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The lake table on its own: idempotent appends, tables it refuses, compaction and vacuum. */
class LakeTableTest {
  private static SparkSession spark;

  @BeforeAll
  static void session() {
    Settings settings = Settings.builder().database("jdbc:postgresql://127.0.0.1:1/none", "u", "p")
        .sparkMaster("local[2]").build();
    spark = SparkSession.builder().config(dev.clickstream.app.SparkSessionConfig.of(settings)).config("spark.ui.enabled", "false")
        // lets the vacuum test delete files younger than Delta's 7-day minimum; the pipeline keeps the check on
        .config("spark.databricks.delta.retentionDurationCheck.enabled", "false")
        // compaction after 4 small files instead of 50: the compaction test needs fewer commits (~1 s each here)
        .config("spark.databricks.delta.autoCompact.minNumFiles", "4")
        .getOrCreate();
  }

  @AfterAll
  static void stop() {
    spark.stop();
  }

  /** The lake's columns without the commerce fields (a table this version refuses). */
  private static final org.apache.spark.sql.types.StructType FIRST_VERSION =
      new org.apache.spark.sql.types.StructType(java.util.Arrays.copyOf(EventSchema.LAKE.fields(), 9));

  /** n page views of one minute, ids prefix-0 .. prefix-(n-1), with the columns of {@link #FIRST_VERSION}. */
  private static Dataset<Row> firstVersionEvents(String prefix, int n) {
    List<Row> rows = new ArrayList<>();
    Instant t = Instant.parse("2026-11-23T12:00:00Z");
    for (int i = 0; i < n; i++) {
      rows.add(RowFactory.create(prefix + "-" + i, Timestamp.from(t.plusMillis(i)), "u" + (i % 7), "/p", "page_view",
          "2026-11-23", i % 4, (long) i, Timestamp.from(t)));
    }
    return spark.createDataFrame(rows, FIRST_VERSION);
  }

  /** n page views of one minute, ids prefix-0 .. prefix-(n-1), every column of {@link EventSchema#LAKE}. */
  private static Dataset<Row> events(String prefix, int n) {
    Dataset<Row> first = firstVersionEvents(prefix, n);
    for (org.apache.spark.sql.types.StructField f : EventSchema.COMMERCE.fields()) {
      first = first.withColumn(f.name(), org.apache.spark.sql.functions.lit(null).cast(f.dataType()));
    }
    return first;
  }

  private static long count(LakeTable lake) {
    return spark.read().format("delta").load(lake.path()).count();
  }

  @Test
  void aReplayedMicroBatchIsSkippedAndAFreshQueryIdIsNot(@TempDir Path dir) {
    LakeTable lake = new LakeTable(dir.resolve("events").toString());
    assertThat(lake.ensure(spark, Duration.ofDays(7))).isEqualTo("created");
    lake.append(events("a", 10), "query-1", 0);
    lake.append(events("b", 10), "query-1", 1);
    lake.append(events("b", 10), "query-1", 1); // the replay of batch 1 after a crash
    assertThat(count(lake)).isEqualTo(20);
    lake.append(events("c", 10), "query-2", 1); // a fresh checkpoint: a new query id, batch ids from 0 again
    assertThat(count(lake)).isEqualTo(30);
    assertThat(lake.ensure(spark, Duration.ofDays(7))).isEqualTo("existing");
    assertThat(lake.stats(spark)).satisfies(s -> {
      assertThat(s.rows()).isEqualTo(30);
      assertThat(s.files()).isPositive();
      assertThat(s.version()).isGreaterThanOrEqualTo(3);
    });
    Row detail = spark.sql("DESCRIBE DETAIL delta.`" + lake.path() + "`").first();
    Map<String, String> properties = detail.getJavaMap(detail.fieldIndex("properties"));
    assertThat(properties).containsEntry("delta.autoOptimize.autoCompact", "true")
        .containsEntry("delta.logRetentionDuration", "interval 168 hours")
        .containsEntry("delta.deletedFileRetentionDuration", "interval 168 hours");
  }

  @Test
  void aDeltaTableWithoutTheLakesColumnsIsRefusedWithOneLineNamingThem(@TempDir Path dir) {
    String path = dir.resolve("events").toString();
    io.delta.tables.DeltaTable.create(spark).location(path).addColumns(FIRST_VERSION)
        .partitionedBy(EventSchema.LAKE_PARTITION).execute();
    assertThatThrownBy(() -> new LakeTable(path).ensure(spark, Duration.ofDays(7)))
        .isInstanceOf(StartupFailure.class)
        .hasMessage("the Delta table at " + path + " lacks the columns [product_id, category, price, quantity, currency, "
            + "order_id, device, country] of this version's lake: point LAKE_PATH elsewhere, or move the table away");
  }

  @Test
  void parquetFilesWithoutALogAreRefusedWithOneLine(@TempDir Path dir) {
    Path events = dir.resolve("events");
    events("x", 3).write().parquet(events.toString());
    assertThatThrownBy(() -> new LakeTable(events.toString()).ensure(spark, Duration.ofDays(7)))
        .isInstanceOf(StartupFailure.class)
        .hasMessage(events + " holds Parquet files but no Delta log: move them away or point LAKE_PATH elsewhere");
  }

  @Test
  void smallFilesAreCompactedAndVacuumDeletesWhatTheTableNoLongerReferences(@TempDir Path dir) throws Exception {
    LakeTable lake = new LakeTable(dir.resolve("events").toString());
    lake.ensure(spark, Duration.ofDays(7));
    for (int batch = 0; batch < 6; batch++) {
      lake.append(events("b" + batch, 5).coalesce(1), "ingest-id", batch);
    }
    assertThat(count(lake)).isEqualTo(30);
    // auto compaction ran after a commit left >= 4 small files (this session's minNumFiles): fewer files, same rows
    assertThat(lake.stats(spark).files()).isLessThan(4);
    List<String> compactions = commitLines(lake).stream().filter(l -> l.startsWith("{\"remove\"")).toList();
    assertThat(compactions).isNotEmpty().allSatisfy(l -> assertThat(l).contains("\"dataChange\":false"));

    // a killed attempt's file, old enough for any retention
    Path orphan = Path.of(lake.path(), "event_date=2026-11-23", "part-00000-killed.c000.snappy.parquet");
    Files.copy(parquetFiles(lake).get(0), orphan);
    Files.setLastModifiedTime(orphan, FileTime.from(Instant.now().minus(Duration.ofDays(30))));
    assertThat(parquetFiles(lake).size()).isGreaterThan((int) lake.stats(spark).files());

    LakeMaintenance.vacuum(spark, lake, Duration.ZERO);

    assertThat(parquetFiles(lake)).hasSize((int) lake.stats(spark).files());
    assertThat(orphan).doesNotExist();
    assertThat(count(lake)).isEqualTo(30);
  }

  private static List<Path> parquetFiles(LakeTable lake) throws IOException {
    try (Stream<Path> files = Files.walk(Path.of(lake.path()))) {
      return files.filter(f -> f.toString().endsWith(".parquet") && !f.toString().contains("_delta_log")).sorted().toList();
    }
  }

  private static List<String> commitLines(LakeTable lake) throws IOException {
    try (Stream<Path> commits = Files.list(Path.of(lake.path(), "_delta_log"))) {
      List<String> lines = new ArrayList<>();
      for (Path c : commits.filter(f -> f.toString().endsWith(".json")).sorted().toList()) {
        lines.addAll(Files.readAllLines(c));
      }
      return lines;
    }
  }

  @Test
  void aCheckpointOfAQueryThatReadTheLakeIsRefusedWithExitTwo(@TempDir Path dir) throws Exception {
    Path offsets = dir.resolve("checkpoints/analytics/offsets");
    Files.createDirectories(offsets);
    Files.writeString(offsets.resolve("0"), "v1\n{\"batchWatermarkMs\":0}\n"
        + "{\"sourceVersion\":1,\"reservoirId\":\"r\",\"reservoirVersion\":4,\"index\":-1,\"isStartingVersion\":false}\n");
    Settings settings = Settings.builder().database("jdbc:postgresql://127.0.0.1:1/none", "u", "p")
        .lakePath(dir.resolve("lake")).checkpointRoot(dir.resolve("checkpoints")).metricsPort(0).build();
    assertThat(new dev.clickstream.app.PipelineRuntime(spark, settings, Set.of(dev.clickstream.contract.Query.ANALYTICS, dev.clickstream.contract.Query.LAKE))
        .runUntilDone()).isEqualTo(2);
    assertThat(spark.streams().active()).isEmpty();
    assertThat(dir.resolve("lake")).doesNotExist();
  }
}
