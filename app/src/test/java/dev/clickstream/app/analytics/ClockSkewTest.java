package dev.clickstream.app.analytics;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.current_timestamp;
import static org.apache.spark.sql.functions.lit;
import static org.assertj.core.api.Assertions.assertThat;

import dev.clickstream.app.config.Settings;
import dev.clickstream.app.source.EventParser;
import dev.clickstream.contract.Durations;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.spark.api.java.function.VoidFunction2;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.execution.streaming.runtime.MemoryStream;
import org.apache.spark.sql.streaming.StreamingQuery;
import org.apache.spark.sql.types.DataTypes;
import org.junit.jupiter.api.Test;
import scala.jdk.javaapi.CollectionConverters;

/**
 * A fast client clock never delays an on-time event: with the default MAX_EVENT_TIME_SKEW and WATERMARK_DELAY, event
 * times at the real clock, one event just inside the skew and one far beyond it among on-time page views, the
 * analytics query counts every on-time page view of the next micro-batches (none is dropped by a watermark the fast
 * event moved). With a skew larger than half the delay (the old default, 10 minutes) the event just inside it moves
 * the watermark past the clock and the later on-time events are dropped: the settings refuse such a skew.
 */
class ClockSkewTest {
  @Test
  void anEventJustInsideTheSkewDoesNotDropOnTimeEvents() throws Exception {
    Settings defaults = Settings.builder().database("jdbc:postgresql://db/x", "u", "p").build();
    Duration skew = defaults.triggers().maxEventTimeSkew();
    SparkSession spark = MicroBatches.localSession();
    MemoryStream<String> input = MemoryStream.apply(Encoders.STRING(), spark);
    Dataset<Row> kafka = input.toDF().select(lit(null).cast(DataTypes.BinaryType).as("key"),
        col("value").cast(DataTypes.BinaryType).as("value"), lit("user_activity").as("topic"), lit(0).as("partition"),
        lit(0L).as("offset"), current_timestamp().as("timestamp"));
    Dataset<Row> events = EventParser.validEvents(EventParser.parse(kafka, skew))
        .withWatermark("event_time", Durations.toSparkInterval(defaults.triggers().watermarkDelay()));
    Map<String, Long> onTimeViews = new ConcurrentHashMap<>(); // window_start -> latest view_count of /on-time
    StreamingQuery query = WindowedAnalytics.of(events).writeStream().outputMode("update")
        .foreachBatch((VoidFunction2<Dataset<Row>, Long>) (batch, id) -> {
          for (Row r : WindowedAnalytics.rowsOf(batch, dev.clickstream.contract.ResultTable.PAGE_VIEW_COUNTS).collectAsList()) {
            if ("/on-time".equals(r.getAs("page_url"))) {
              onTimeViews.put(r.getAs("window_start").toString(), r.getAs("view_count"));
            }
          }
        }).start();
    int sent = 0;
    try {
      for (int batch = 0; batch < 3; batch++) {
        Instant now = Instant.now();
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
          lines.add(view("on-" + batch + "-" + i, now.minusSeconds(30 + i), "/on-time"));
          sent++;
        }
        if (batch == 0) {
          lines.add(view("fast-clock", now.plus(skew).minusSeconds(5), "/fast")); // just inside: valid
          lines.add(view("wrong-clock", now.plus(Duration.ofHours(1)), "/wrong")); // far beyond: a dead letter
        }
        input.addData(CollectionConverters.asScala(lines).toSeq());
        query.processAllAvailable();
      }
      long dropped = 0;
      for (var p : query.recentProgress()) {
        for (var op : p.stateOperators()) {
          dropped += op.numRowsDroppedByWatermark();
        }
      }
      assertThat(dropped).as("on-time events dropped by a watermark the fast clock moved").isZero();
      assertThat(onTimeViews.values().stream().mapToLong(Long::longValue).sum()).isEqualTo(sent);
    } finally {
      query.stop();
      spark.stop();
    }
  }

  private static String view(String id, Instant time, String page) {
    return "{\"event_id\":\"" + id + "\",\"event_time\":\"" + time + "\",\"user_id\":\"u1\",\"page_url\":\"" + page
        + "\",\"event_type\":\"page_view\"}";
  }
}
