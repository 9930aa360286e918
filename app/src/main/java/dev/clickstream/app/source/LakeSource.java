package dev.clickstream.app.source;

import static org.apache.spark.sql.functions.col;

import java.util.Arrays;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * The lake table {@code ${LAKE_PATH}/events} as a streaming source (Delta's streaming source): the input of every
 * stateful query (DESIGN §1).
 *
 * <p>A query with a fresh checkpoint reads the table's current snapshot first, then every later commit; compaction
 * commits ({@code dataChange=false}) are skipped, so compacted rows are not read twice (Delta docs, "Delta table as
 * a source").
 */
public final class LakeSource {
  private LakeSource() {}

  /**
   * @param spark the session (with Delta's extension)
   * @param eventsPath {@code ${LAKE_PATH}/events}
   * @param maxFilesPerTrigger new data files per micro-batch (Delta's {@code maxFilesPerTrigger}); a bound on a
   *     catch-up's micro-batches, {@link Integer#MAX_VALUE} for none
   * @param columns the columns the query needs (only those are read from Parquet)
   * @return rows of those columns of {@link EventSchema#LAKE}
   */
  public static Dataset<Row> read(SparkSession spark, String eventsPath, int maxFilesPerTrigger, String... columns) {
    return spark.readStream()
        .format("delta")
        .option("maxFilesPerTrigger", maxFilesPerTrigger)
        // nothing in this table is ever deleted or updated; should someone do it by hand, fail instead of
        // silently ignoring it (Delta docs: ignoreDeletes / ignoreChanges are off by default)
        .load(eventsPath)
        .select(Arrays.stream(columns).map(c -> col(c)).toArray(Column[]::new));
  }
}
