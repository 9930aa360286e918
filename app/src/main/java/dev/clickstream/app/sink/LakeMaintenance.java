package dev.clickstream.app.sink;

import io.delta.tables.DeltaTable;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Vacuums the lake table on a schedule from a daemon thread of the driver: deletes data files that the table no
 * longer references (replaced by auto compaction, or written by a killed attempt and never committed) once they
 * are older than the retention (Delta's {@code VACUUM}; it is safe while the ingest query appends, since it only
 * touches unreferenced files, Delta docs "Remove files no longer referenced by a Delta table").
 *
 * <p>Why in the pipeline and not a separate CronJob: compaction already happens in the ingest commit (auto
 * compaction), so the only periodic work is a vacuum of at most a few thousand files per run; a separate job
 * would need its own Spark application, the same claim and the Delta jars, for a task of seconds.
 */
public final class LakeMaintenance implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(LakeMaintenance.class);

  private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "clickstream-lake-maintenance");
    t.setDaemon(true);
    return t;
  });

  private LakeMaintenance() {}

  /**
   * Starts vacuuming every {@code interval}, the first time after one interval.
   *
   * @param spark the session
   * @param lake the table
   * @param retention LAKE_VACUUM_RETENTION (at least 1 hour: Delta's retention check)
   * @param interval LAKE_MAINTENANCE_INTERVAL; zero schedules nothing
   * @return the running schedule; {@link #close()} stops it
   */
  public static LakeMaintenance schedule(SparkSession spark, LakeTable lake, Duration retention, Duration interval) {
    LakeMaintenance m = new LakeMaintenance();
    if (interval.isZero()) {
      LOG.info("lake maintenance is off (LAKE_MAINTENANCE_INTERVAL=0)");
      return m;
    }
    m.scheduler.scheduleWithFixedDelay(() -> {
      try {
        vacuum(spark, lake, retention);
      } catch (Exception e) { // Delta's AnalysisException is thrown undeclared
        // the next run tries again; a failed vacuum loses nothing (it only deletes unreferenced files)
        LOG.warn("lake vacuum failed: {}", e.toString());
      }
    }, interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
    return m;
  }

  /**
   * One vacuum now.
   *
   * @param spark the session
   * @param lake the table
   * @param retention files unreferenced for longer than this are deleted
   * @throws IllegalArgumentException from Delta when the retention is below the table's
   *     {@code delta.deletedFileRetentionDuration} and Delta's retention check is on
   */
  public static void vacuum(SparkSession spark, LakeTable lake, Duration retention) {
    long start = System.nanoTime();
    DeltaTable.forPath(spark, lake.path()).vacuum(retention.toMillis() / 3_600_000.0);
    LOG.info("lake vacuum of {} done in {} ms (retention {} h)", lake.path(), (System.nanoTime() - start) / 1_000_000,
        retention.toHours());
  }

  @Override
  public void close() {
    scheduler.shutdownNow();
  }
}
