package dev.clickstream.app.analytics;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.window;

import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * Page views per page in 1-minute tumbling windows of event time.
 *
 * <p>In: events with a watermark on event_time (event_time timestamp, page_url string, event_type string, ...).
 * Out: window_start timestamp, window_end timestamp, page_url string, view_count long. In update output mode
 * each micro-batch emits the windows that changed, with their absolute count so far. A window is final once
 * the watermark passes its end; page views that arrive after that are not counted (Spark's
 * numRowsDroppedByWatermark) but stay in the lake.
 *
 * <p>A resent page view (same event_id: a producer's retry, a replayed file) counts once: page views are
 * deduplicated on (event_id, event_time) with the watermark (Structured Streaming guide, "Streaming
 * Deduplication", with watermark), which keeps a key until the watermark passes its event time. A resend keeps
 * its event_time, so one that comes later than that is behind the watermark and dropped as late, as the
 * aggregation would drop it: each event_id counts once, whatever the micro-batch boundaries. The state holds the
 * keys of the page views of the last watermark delay. ({@code dropDuplicatesWithinWatermark("event_id")} would keep a
 * key a watermark delay longer, until the watermark passes event time plus the delay: more state, for nothing
 * here.)
 *
 * <pre>
 * {"event_time":"2026-11-23T12:00:05Z","page_url":"/cart","event_type":"page_view"} x2
 * -> (2026-11-23 12:00:00, 2026-11-23 12:01:00, /cart, 2)
 * </pre>
 */
public final class PageViewCounts {
  /** Tumbling window length. */
  public static final String WINDOW = "1 minute";
  /** The lake columns this query reads. */
  public static final String[] COLUMNS = {"event_id", "event_time", "page_url", "event_type"};

  private PageViewCounts() {}

  /**
   * @param watermarkedEvents valid events (event_id, event_time, page_url, event_type) with
   *     {@code withWatermark("event_time", ...)} applied
   * @return the counts, one row per (window, page_url)
   */
  public static Dataset<Row> of(Dataset<Row> watermarkedEvents) {
    return watermarkedEvents
        .where(col("event_type").equalTo("page_view"))
        .dropDuplicates("event_id", "event_time")
        .groupBy(window(col("event_time"), WINDOW), col("page_url"))
        .agg(count("*").as("view_count"))
        .select(col("window.start").as("window_start"), col("window.end").as("window_end"), col("page_url"), col("view_count"));
  }
}
