package dev.clickstream.app.sink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.clickstream.app.ClickstreamPipeline;
import dev.clickstream.app.config.Settings;
import dev.clickstream.app.source.EventSchema;
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
import org.apache.spark.sql.streaming.Trigger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The lake table on its own: idempotent appends, an old Parquet lake converted, compaction and vacuum. */
class LakeTableTest {
  private static SparkSession spark;

  @BeforeAll
  static void session() {
    Settings settings = Settings.parse(new String[0], Map.of("JDBC_URL", "jdbc:postgresql://127.0.0.1:1/none",
        "DB_USER", "u", "DB_PASSWORD", "p", "SPARK_MASTER", "local[2]"));
    spark = SparkSession.builder().config(ClickstreamPipeline.sessionConfig(settings)).config("spark.ui.enabled", "false")
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

  /** The lake's columns before the commerce fields (the first version's table). */
  private static final org.apache.spark.sql.types.StructType FIRST_VERSION =
      new org.apache.spark.sql.types.StructType(java.util.Arrays.copyOf(EventSchema.LAKE.fields(), 9));

  /** n page views of one minute, ids prefix-0 .. prefix-(n-1), with the first version's columns. */
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
  void aFirstVersionTableGetsTheCommerceColumnsAndAStreamingReaderGoesOnAcrossTheChange(@TempDir Path dir) throws Exception {
    String path = dir.resolve("events").toString();
    io.delta.tables.DeltaTable.create(spark).location(path).addColumns(FIRST_VERSION)
        .partitionedBy(EventSchema.LAKE_PARTITION).execute();
    firstVersionEvents("old", 20).write().format("delta").mode("append").save(path);
    String checkpoint = dir.resolve("checkpoint").toString();
    List<Long> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
    java.util.function.Consumer<String[]> readAll = columns -> {
      try {
        dev.clickstream.app.source.LakeSource.read(spark, path, 1000, columns).writeStream()
            .foreachBatch((org.apache.spark.api.java.function.VoidFunction2<Dataset<Row>, Long>) (batch, id) ->
                seen.add(columns.length == 1 ? batch.count() : batch.where("price is not null").count() * 1000 + batch.count()))
            .option("checkpointLocation", checkpoint).trigger(Trigger.AvailableNow()).start().awaitTermination();
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    };
    readAll.accept(new String[] {"event_id"}); // the first version's query
    assertThat(seen).containsExactly(20L);

    LakeTable lake = new LakeTable(path);
    assertThat(lake.ensure(spark, Duration.ofDays(7))).isEqualTo("existing, added columns [product_id STRING, "
        + "category STRING, price DECIMAL(12,2), quantity INT, currency STRING, order_id STRING, device STRING, country STRING]");
    assertThat(spark.read().format("delta").load(path).schema()).isEqualTo(EventSchema.LAKE);
    lake.append(events("new", 5).withColumn("price", org.apache.spark.sql.functions.lit(new java.math.BigDecimal("19.90")).cast(EventSchema.PRICE)),
        "ingest", 0);
    assertThat(lake.ensure(spark, Duration.ofDays(7))).isEqualTo("existing");

    // the reader of the first version's table, on its checkpoint, reads on: the new rows with their prices
    readAll.accept(new String[] {"event_id", "price"}); // this version's query
    assertThat(seen).containsExactly(20L, 5005L);
    assertThat(spark.read().format("delta").load(path).where("price = 19.90").count()).isEqualTo(5);
  }

  @Test
  void aParquetLakeOfTheStreamingFileSinkIsConvertedWithOnlyItsCommittedFiles(@TempDir Path dir) throws Exception {
    Path old = dir.resolve("events");
    Path input = dir.resolve("input");
    firstVersionEvents("old", 50).write().json(input.toString());
    // what an earlier version wrote: Spark's Parquet file sink with its _spark_metadata log
    spark.readStream().schema(FIRST_VERSION).json(input.toString()).writeStream().format("parquet")
        .partitionBy(EventSchema.LAKE_PARTITION).option("path", old.toString())
        .option("checkpointLocation", dir.resolve("checkpoint").toString()).trigger(Trigger.AvailableNow()).start()
        .awaitTermination();
    // a file of a killed attempt: in the directory, not in _spark_metadata
    Path partition = old.resolve("event_date=2026-11-23");
    try (Stream<Path> files = Files.list(partition)) {
      Path committed = files.filter(f -> f.toString().endsWith(".parquet")).findFirst().orElseThrow();
      Files.copy(committed, partition.resolve("part-99999-killed-attempt.c000.snappy.parquet"));
    }

    LakeTable lake = new LakeTable(old.toString());
    assertThat(lake.ensure(spark, Duration.ofDays(7))).startsWith("converted, added columns [product_id STRING");

    Dataset<Row> table = spark.read().format("delta").load(old.toString());
    assertThat(table.count()).isEqualTo(50);
    assertThat(table.select("event_id").distinct().count()).isEqualTo(50);
    // CONVERT TO DELTA puts the partition column last; every reader and writer here goes by column name
    assertThat(table.columns()).containsExactlyInAnyOrder(EventSchema.LAKE.fieldNames());
    lake.append(events("new", 5), "ingest-id", 0);
    assertThat(count(lake)).isEqualTo(55);
  }

  @Test
  void parquetFilesWithoutALogAreRefusedWithOneLine(@TempDir Path dir) {
    Path events = dir.resolve("events");
    events("x", 3).write().parquet(events.toString());
    assertThatThrownBy(() -> new LakeTable(events.toString()).ensure(spark, Duration.ofDays(7)))
        .isInstanceOf(LakeTable.LakeException.class)
        .hasMessage(events + " holds Parquet files but neither a Delta log nor a _spark_metadata log: "
            + "move them away or point LAKE_PATH elsewhere");
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
  void aCheckpointOfAQueryThatReadKafkaIsRefusedWithExitTwo(@TempDir Path dir) throws Exception {
    Path offsets = dir.resolve("checkpoints/page-view-counts/offsets");
    Files.createDirectories(offsets);
    Files.writeString(offsets.resolve("0"), "v1\n{\"batchWatermarkMs\":0}\n{\"user_activity\":{\"0\":5000}}\n");
    Settings settings = Settings.parse(new String[0], Map.of("JDBC_URL", "jdbc:postgresql://127.0.0.1:1/none",
        "DB_USER", "u", "DB_PASSWORD", "p", "LAKE_PATH", dir.resolve("lake").toString(),
        "CHECKPOINT_ROOT", dir.resolve("checkpoints").toString()));
    assertThat(new ClickstreamPipeline(spark, settings, Set.of(ClickstreamPipeline.PAGE_VIEW_COUNTS)).runUntilDone()).isEqualTo(2);
    assertThat(spark.streams().active()).isEmpty();
    assertThat(dir.resolve("lake")).doesNotExist();
  }
}
