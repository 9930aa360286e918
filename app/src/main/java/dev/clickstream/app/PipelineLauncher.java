package dev.clickstream.app;

import dev.clickstream.app.config.Settings;
import dev.clickstream.app.sink.DatabaseConfig;
import dev.clickstream.app.sink.LakeMaintenance;
import dev.clickstream.app.sink.LakeTable;
import dev.clickstream.app.sink.SchemaMigrations;
import dev.clickstream.contract.ResultTable;
import dev.clickstream.contract.StartupFailure;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The pipeline's start-up sequence, one place for the application's {@code main}, {@code make run} and
 * {@code make bench}: Flyway migrations as DB_MIGRATION_USER ({@link #migrate}), the SparkSession of
 * {@link SparkSessionConfig#session}, then the pipeline with the lake's maintenance
 * scheduled beside it ({@link #launch}); {@link #close} stops both.
 */
public final class PipelineLauncher implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(PipelineLauncher.class);
  /** How long the migrations wait for Postgres at start-up (README, "Settings": exit 1 after it). */
  public static final Duration MIGRATION_PATIENCE = Duration.ofSeconds(60);

  private final SparkSession spark;
  private final PipelineRuntime pipeline;
  private final LakeMaintenance maintenance;

  private PipelineLauncher(SparkSession spark, PipelineRuntime pipeline, LakeMaintenance maintenance) {
    this.spark = spark;
    this.pipeline = pipeline;
    this.maintenance = maintenance;
  }

  /**
   * Applies the Flyway migrations as DB_MIGRATION_USER, who grants DB_USER the writer's rights when the two differ.
   *
   * @param settings validated settings
   * @return migrations applied now
   * @throws StartupFailure naming the URL when Postgres stays unreachable for
   *     {@link #MIGRATION_PATIENCE}, or a migration fails
   */
  public static int migrate(Settings settings) {
    int applied = SchemaMigrations.migrate(DatabaseConfig.migrator(settings), settings.postgres().user(),
        MIGRATION_PATIENCE);
    LOG.info("schema migrations applied: {}", applied);
    return applied;
  }

  /**
   * DB_MIGRATIONS: {@code apply} migrates ({@link #migrate}); {@code verify} waits until the tables the sinks write
   * exist and DB_USER may write them ({@link SchemaMigrations#verify}, up to {@link #VERIFY_PATIENCE}).
   *
   * @param settings validated settings
   * @throws StartupFailure as {@link #migrate} or {@link SchemaMigrations#verify}
   */
  public static void prepareSchema(Settings settings) {
    if (settings.postgres().migrationsApplied()) {
      migrate(settings);
      return;
    }
    SchemaMigrations.verify(DatabaseConfig.writer(settings), ResultTable.names(List.of(ResultTable.values())),
        VERIFY_PATIENCE);
    LOG.info("schema verified: every result table exists and {} may write it (DB_MIGRATIONS=verify)", settings.postgres().user());
  }

  /** How long a pipeline that does not migrate waits for the tables: a migrations Job may still be running. */
  public static final Duration VERIFY_PATIENCE = Duration.ofMinutes(5);

  /**
   * Migrates, builds the session, schedules the lake's maintenance (a vacuum every LAKE_MAINTENANCE_INTERVAL) and
   * creates the pipeline, not yet started.
   *
   * @param settings validated settings
   * @return the launched pipeline; close it when {@link #runUntilDone} has returned
   * @throws StartupFailure as {@link #migrate}
   */
  public static PipelineLauncher launch(Settings settings) {
    prepareSchema(settings);
    SparkSession spark = SparkSessionConfig.session(settings, Map.of());
    PipelineRuntime pipeline = new PipelineRuntime(spark, settings);
    LakeMaintenance maintenance = LakeMaintenance.schedule(spark, new LakeTable(settings.lake().eventsPath()),
        settings.lake().vacuumRetention(), settings.lake().maintenanceInterval());
    return new PipelineLauncher(spark, pipeline, maintenance);
  }

  /** @return the session the pipeline runs in */
  public SparkSession spark() {
    return spark;
  }

  /** @return the pipeline */
  public PipelineRuntime pipeline() {
    return pipeline;
  }

  /** @return {@link PipelineRuntime#runUntilDone()}'s exit status */
  public int runUntilDone() {
    return pipeline.runUntilDone();
  }

  /**
   * Stops the maintenance and the session, unless a query did not stop (then the JVM is left to exit with the
   * query's thread still running: stopping Spark could wait for it for ever).
   */
  @Override
  public void close() {
    maintenance.close();
    if (pipeline.stuckQueries().isEmpty()) {
      spark.stop();
    }
  }
}
