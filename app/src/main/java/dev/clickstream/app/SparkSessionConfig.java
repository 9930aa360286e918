package dev.clickstream.app;

import dev.clickstream.app.config.Settings;
import java.util.Map;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;

/**
 * The Spark settings the pipeline relies on, and the session built from them. Every value is set only where
 * missing: what spark-submit or {@code -Dspark.*} sets wins.
 */
public final class SparkSessionConfig {
  private SparkSessionConfig() {}

  /**
   * Spark settings the pipeline relies on; anything already set (spark-submit, {@code -Dspark.*}) wins.
   *
   * @param settings for SPARK_MASTER (only when no master is set)
   * @return the configuration
   */
  public static SparkConf of(Settings settings) {
    SparkConf conf = new SparkConf();
    conf.setIfMissing("spark.master", settings.sparkMaster());
    conf.setIfMissing("spark.app.name", "clickstream");
    // event_date and the ISO strings are UTC by contract (architecture §3-§4)
    conf.setIfMissing("spark.sql.session.timeZone", "UTC");
    // 200 shuffle partitions cost 3-4x on 2 cores (architecture §8); ~2 per core. Fixed per checkpoint once started.
    conf.setIfMissing("spark.sql.shuffle.partitions", String.valueOf(2 * Runtime.getRuntime().availableProcessors()));
    // RocksDB state with changelog checkpointing: state off-heap, small incremental checkpoints (Spark SS guide)
    conf.setIfMissing("spark.sql.streaming.stateStore.providerClass",
        "org.apache.spark.sql.execution.streaming.state.RocksDBStateStoreProvider");
    conf.setIfMissing("spark.sql.streaming.stateStore.rocksdb.changelogCheckpointing.enabled", "true");
    conf.setIfMissing("spark.sql.streaming.metricsEnabled", "true");
    // The HLL sketch aggregate (hll_sketch_agg) runs in a hash map of object buffers that Spark turns into a sort of
    // every input row once a task holds more than 128 groups (SQLConf objectHashAggregate.sortBased.
    // fallbackThreshold, internal): the analytics query has thousands (page or product x minute), and the sort
    // cost a third of its CPU. 65,536 groups fit a task's heap; beyond them Spark falls back to the sort.
    conf.setIfMissing("spark.sql.objectHashAggregate.sortBased.fallbackThreshold", "65536");
    // Spark keeps the classes it generates for a plan in a cache of 100 (StaticSQLConf codegen.cache.maxEntries),
    // keyed by code and by the session's class loader; several queries, each in its own cloned session, need more,
    // and a thrashing cache compiles every plan again each micro-batch (and the JVM JIT-compiles the new classes)
    conf.setIfMissing("spark.sql.codegen.cache.maxEntries", "1000");
    // Delta Lake's SQL extension and catalog (Delta docs, "Configure SparkSession"): CONVERT TO DELTA, ALTER TABLE
    conf.setIfMissing("spark.sql.extensions", "io.delta.sql.DeltaSparkSessionExtension");
    conf.setIfMissing("spark.sql.catalog.spark_catalog", "org.apache.spark.sql.delta.catalog.DeltaCatalog");
    // Delta replays its log with this many partitions (default 50): on a few cores that doubled every Delta write
    // and made a log checkpoint's commit ~4x slower (architecture §8); the shuffle partitions' count suits it
    conf.setIfMissing("spark.databricks.delta.snapshotPartitions", conf.get("spark.sql.shuffle.partitions"));
    // Auto compaction rewrites every file under minFileSize (default 64 MB) together with the next small ones, so
    // at a few events/s one growing file was rewritten every few commits, each version kept for the vacuum
    // retention (bench/README.md, "Figures moved out of the code"). At 1 MB a compacted file is left alone after
    // at most a rewrite or two (Delta's DeltaSQLConf autoCompact.minFileSize / maxFileSize).
    conf.setIfMissing("spark.databricks.delta.autoCompact.minFileSize", String.valueOf(1024 * 1024));
    return conf;
  }

  /**
   * @param settings validated settings (SPARK_MASTER)
   * @param overrides Spark settings that win over {@link #of} (e.g. the UI off in benchmarks)
   * @return the session, created, or the active one with the overrides set
   */
  public static SparkSession session(Settings settings, Map<String, String> overrides) {
    SparkConf conf = of(settings);
    overrides.forEach(conf::set);
    return SparkSession.builder().config(conf).getOrCreate();
  }
}
