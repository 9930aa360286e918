package dev.clickstream.app.sink;

import dev.clickstream.app.source.EventSchema;
import dev.clickstream.contract.StartupFailure;
import io.delta.tables.DeltaTable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The lake: the Delta table {@code ${LAKE_PATH}/events} of every valid event (columns {@link EventSchema#LAKE},
 * partitioned by {@code event_date}), architecture §4.
 *
 * <p>Exactly once for every reader: each micro-batch of the lake query is one Delta commit, made idempotent with
 * {@code txnAppId} = the lake query's id (kept in its checkpoint) and {@code txnVersion} = the batch id, so a
 * micro-batch replayed after a crash is skipped by Delta, and a fresh checkpoint (a new query id) never has its
 * writes skipped (Delta docs, "Idempotent table writes in foreachBatch"). Files of a killed attempt are never in
 * the log, so Spark, Delta Kernel, DuckDB's {@code delta_scan} or Trino see each event once.
 *
 * <p>Kept healthy unattended through table properties set here: auto compaction
 * ({@code delta.autoOptimize.autoCompact}: after a commit leaves at least 50 small files in a partition, the
 * writer compacts them in a commit whose actions carry {@code dataChange=false}, which streaming readers skip;
 * Delta docs, "Auto compaction"); log and removed-file retention equal to LAKE_VACUUM_RETENTION; the log is
 * checkpointed every 10 commits (Delta's default). {@link LakeMaintenance} vacuums on a schedule.
 */
public final class LakeTable {
  private static final Logger LOG = LoggerFactory.getLogger(LakeTable.class);

  private final String path;

  /** @param path the table's directory, {@code ${LAKE_PATH}/events} */
  public LakeTable(String path) {
    this.path = path;
  }

  /** @return the table's directory */
  public String path() {
    return path;
  }

  /**
   * Table properties for a retention period (architecture §4): auto compaction on, and the log and removed files kept
   * for {@code retention} (Delta's defaults are 30 days of log and 7 days of removed files).
   *
   * @param retention LAKE_VACUUM_RETENTION
   * @return property name -> value
   */
  static Map<String, String> properties(Duration retention) {
    String interval = "interval " + retention.toHours() + " hours";
    Map<String, String> p = new LinkedHashMap<>();
    p.put("delta.autoOptimize.autoCompact", "true");
    p.put("delta.logRetentionDuration", interval);
    p.put("delta.deletedFileRetentionDuration", interval);
    return p;
  }

  /**
   * Makes sure a Delta table with the lake's columns is at the path before the lake query starts: creates it empty
   * when nothing is there, and sets the table properties when they differ.
   *
   * @param spark a session with Delta's extension and catalog ({@code SparkSessionConfig.of})
   * @param retention LAKE_VACUUM_RETENTION
   * @return what was done: {@code created} or {@code existing}
   * @throws StartupFailure when the directory holds Parquet files but no Delta log, or a Delta table without every
   *     column of {@link EventSchema#LAKE} (another table, or an earlier version's): refused rather than guessed
   */
  public String ensure(SparkSession spark, Duration retention) {
    Path dir = Path.of(path);
    String outcome;
    if (Files.isDirectory(dir.resolve("_delta_log"))) {
      outcome = "existing";
    } else if (hasParquetFiles(dir)) {
      throw StartupFailure.badSetting(path + " holds Parquet files but no Delta log: move them away or point LAKE_PATH elsewhere");
    } else {
      DeltaTable.createIfNotExists(spark).location(path).addColumns(EventSchema.LAKE)
          .partitionedBy(EventSchema.LAKE_PARTITION).execute();
      outcome = "created";
    }
    DeltaTable table = DeltaTable.forPath(spark, path);
    java.util.Set<String> present = java.util.Set.of(table.toDF().columns());
    List<String> missing = java.util.Arrays.stream(EventSchema.LAKE.fieldNames()).filter(c -> !present.contains(c)).toList();
    if (!missing.isEmpty()) {
      throw StartupFailure.badSetting("the Delta table at " + path + " lacks the columns " + missing + " of this version's lake: "
          + "point LAKE_PATH elsewhere, or move the table away");
    }
    Map<String, String> wanted = properties(retention);
    Row detail = table.detail().first();
    Map<String, String> current = detail.getJavaMap(detail.fieldIndex("properties"));
    if (!wanted.entrySet().stream().allMatch(e -> e.getValue().equals(current.get(e.getKey())))) {
      StringBuilder set = new StringBuilder();
      wanted.forEach((k, v) -> set.append(set.isEmpty() ? "" : ", ").append('\'').append(k).append("' = '").append(v).append('\''));
      spark.sql("ALTER TABLE delta.`" + path + "` SET TBLPROPERTIES (" + set + ")");
    }
    return outcome;
  }

  private static boolean hasParquetFiles(Path dir) {
    if (!Files.isDirectory(dir)) {
      return false;
    }
    try (Stream<Path> files = Files.walk(dir)) {
      return files.anyMatch(f -> f.getFileName().toString().endsWith(".parquet"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Appends one micro-batch as one Delta commit, idempotently.
   *
   * @param events rows of {@link EventSchema#LAKE}
   * @param appId the writing streaming query's id (persisted in its checkpoint)
   * @param batchId the micro-batch id; a commit with the same (appId, batchId) was already made when Delta skips it
   */
  public void append(Dataset<Row> events, String appId, long batchId) {
    events.write().format("delta").mode(SaveMode.Append)
        .option("txnAppId", appId)
        .option("txnVersion", batchId)
        .save(path);
  }

  /**
   * What the Delta log says of the table now (reads the log and the files' statistics, not the data).
   *
   * @param spark the session
   * @return version, files, bytes and rows of the current snapshot
   */
  public Stats stats(SparkSession spark) {
    DeltaTable table = DeltaTable.forPath(spark, path);
    Row detail = table.detail().first();
    long version = table.history(1).first().<Long>getAs("version");
    // count() of a whole Delta table is answered from the log's per-file numRecords (a metadata-only query)
    long rows = spark.read().format("delta").load(path).count();
    return new Stats(version, detail.<Long>getAs("numFiles"), detail.<Long>getAs("sizeInBytes"), rows);
  }

  /**
   * @param version the latest committed version
   * @param files data files in the current snapshot
   * @param bytes their size
   * @param rows rows in the current snapshot
   */
  public record Stats(long version, long files, long bytes, long rows) {}
}
