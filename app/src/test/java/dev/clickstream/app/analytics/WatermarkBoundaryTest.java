package dev.clickstream.app.analytics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.execution.streaming.runtime.MemoryStream;
import org.apache.spark.sql.streaming.StreamingQuery;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The 2-minute watermark at its boundary, micro-batch by micro-batch, with Spark's {@code MemoryStream} and the
 * memory sink: an event 1 minute behind the newest is counted, one 3 minutes behind is dropped, and a session
 * times out in a micro-batch that has no data (the watermark alone moved past its timeout).
 *
 * <p>Spark filters late rows with the watermark of the previous micro-batch (Structured Streaming guide,
 * "watermark for late events"), so the late rows come two micro-batches after the event that set it.
 */
class WatermarkBoundaryTest {
  private static SparkSession spark;

  @BeforeAll
  static void startSpark() {
    spark = MicroBatches.localSession();
  }

  @AfterAll
  static void stopSpark() {
    spark.stop();
  }

  /**
   * Events as {@code event_id,event_time,user_id,page_url,event_type} text lines (the commerce fields null),
   * watermarked by 2 minutes.
   */
  private static Dataset<Row> events(MemoryStream<String> input) {
    return MicroBatches.events(input, "event_id", "event_time", "user_id", "page_url", "event_type");
  }

  /** The page_view_counts rows of the analytics query. */
  private static Dataset<Row> pageViewCounts(Dataset<Row> events) {
    return WindowedAnalytics.rowsOf(WindowedAnalytics.of(events), dev.clickstream.contract.ResultTable.PAGE_VIEW_COUNTS);
  }

  private static List<String> rows(String table, String columns) {
    List<String> out = new ArrayList<>();
    spark.sql("SELECT " + columns + " FROM " + table).collectAsList().forEach(r -> out.add(r.mkString(" ")));
    return out;
  }

  @Test
  void aPageView1MinuteBehindIsCountedAnd3MinutesBehindIsDropped() throws Exception {
    MemoryStream<String> input = MemoryStream.apply(Encoders.STRING(), spark);
    StreamingQuery query = pageViewCounts(events(input)).writeStream().format("memory").queryName("boundary_page_views")
        .outputMode("update").start();
    try {
      MicroBatches.add(input, query, "a,2026-11-23T12:10:00Z,u1,/,page_view");
      MicroBatches.add(input, query, "b,2026-11-23T12:10:30Z,u1,/,page_view"); // the watermark is now 12:08 or later
      MicroBatches.add(input, query, "c,2026-11-23T12:09:00Z,u2,/late-1m,page_view", "d,2026-11-23T12:07:00Z,u3,/late-3m,page_view");
      List<String> counted = rows("boundary_page_views", "date_format(window_start, 'HH:mm'), page_url, view_count");
      assertThat(counted).contains("12:09 /late-1m 1", "12:10 / 2").noneMatch(r -> r.contains("/late-3m"));
      long dropped = 0;
      for (var p : query.recentProgress()) {
        for (var op : p.stateOperators()) {
          dropped += op.numRowsDroppedByWatermark();
        }
      }
      assertThat(dropped).as("counted by Spark as dropped").isEqualTo(1);
    } finally {
      query.stop();
    }
  }

  @Test
  void aSessionTimesOutInAMicroBatchWithoutDataOnceTheWatermarkPassesItsTimeout() throws Exception {
    MemoryStream<String> input = MemoryStream.apply(Encoders.STRING(), spark);
    StreamingQuery query = UserSessions.of(events(input), Duration.ofMinutes(15)).writeStream().format("memory")
        .queryName("boundary_sessions").outputMode("update").start();
    try {
      MicroBatches.add(input, query, "s1,2026-11-23T12:00:00Z,u1,,session_start", "v1,2026-11-23T12:01:00Z,u1,/,page_view");
      assertThat(rows("boundary_sessions", "user_id, status")).containsExactly("u1 active");
      // another user's event moves the watermark to 12:28, past u1's timeout (12:01 + 15 min): the micro-batch
      // that reads it still has the old watermark; the next one, which Spark runs without data, times u1 out
      MicroBatches.add(input, query, "x1,2026-11-23T12:30:00Z,u2,/,page_view");
      await().atMost(Duration.ofSeconds(60)).untilAsserted(() ->
          assertThat(rows("boundary_sessions", "user_id, status, event_count, date_format(session_end, 'HH:mm')"))
              .contains("u1 timed_out 2 12:01"));
      var last = query.recentProgress()[query.recentProgress().length - 1];
      assertThat(last.numInputRows()).as("the timeout's micro-batch read no data").isZero();
    } finally {
      query.stop();
    }
  }

  @Test
  void aResentPageViewCountsOnceWithinOneMicroBatchAndAcrossTwo() throws Exception {
    MemoryStream<String> input = MemoryStream.apply(Encoders.STRING(), spark);
    StreamingQuery query = pageViewCounts(events(input)).writeStream().format("memory").queryName("resent_page_views")
        .outputMode("update").start();
    try {
      // a and b, a sent twice in the micro-batch                        // watermark unset
      MicroBatches.add(input, query, "a,2026-11-23T12:10:00Z,u1,/,page_view", "a,2026-11-23T12:10:00Z,u1,/,page_view",
          "b,2026-11-23T12:10:20Z,u2,/,page_view");
      // a once more, one micro-batch later, and a new page view c          // watermark -> 12:08:20
      MicroBatches.add(input, query, "a,2026-11-23T12:10:00Z,u1,/,page_view", "c,2026-11-23T12:10:40Z,u3,/,page_view");
      // b resent two micro-batches later, still inside the watermark        // watermark -> 12:08:40
      MicroBatches.add(input, query, "b,2026-11-23T12:10:20Z,u2,/,page_view");
      List<String> counted = rows("resent_page_views", "date_format(window_start, 'HH:mm'), page_url, view_count");
      assertThat(counted).as("update mode: each version of the 12:10 window").containsOnly("12:10 / 2", "12:10 / 3");
    } finally {
      query.stop();
    }
  }

  @Test
  void aResentEventCountsOnceInItsSession() throws Exception {
    MemoryStream<String> input = MemoryStream.apply(Encoders.STRING(), spark);
    StreamingQuery query = UserSessions.of(events(input), Duration.ofMinutes(15)).writeStream().format("memory")
        .queryName("resent_sessions").outputMode("update").start();
    try {
      MicroBatches.add(input, query, "s1,2026-11-23T12:00:00Z,u1,,session_start", "v1,2026-11-23T12:01:00Z,u1,/,page_view",
          "v1,2026-11-23T12:01:00Z,u1,/,page_view");
      MicroBatches.add(input, query, "v1,2026-11-23T12:01:00Z,u1,/,page_view", "v2,2026-11-23T12:02:00Z,u1,/,page_view");
      List<String> versions = rows("resent_sessions", "user_id, status, event_count, page_view_count");
      assertThat(versions).containsExactly("u1 active 2 1", "u1 active 3 2");
    } finally {
      query.stop();
    }
  }
}
