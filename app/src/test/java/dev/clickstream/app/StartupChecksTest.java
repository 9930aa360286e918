package dev.clickstream.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.clickstream.app.metrics.KafkaLag;
import dev.clickstream.contract.StartupFailure;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The input topic recognised by its Kafka topic id, recorded beside each checkpoint; the analytics state layout
 * recorded in its checkpoint.
 */
class StartupChecksTest {
  /** Brokers that know no offsets: only the topic id can tell a re-created topic. */
  private static final KafkaLag NO_OFFSETS = new KafkaLag(Map.of(), Duration.ofSeconds(15)) {
    @Override
    public synchronized Map<TopicPartition, Long> latestOffsets(Set<TopicPartition> partitions) {
      return Map.of();
    }
  };

  @Test
  void theSparkUiAndTheMetricsOnOnePortAreOneLine() {
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> StartupChecks.requireOwnMetricsPort("true", "9464", 9464))
        .isInstanceOf(dev.clickstream.contract.StartupFailure.class)
        .hasMessage("METRICS_PORT (9464) must differ from spark.ui.port (9464): both listen on the driver");
    StartupChecks.requireOwnMetricsPort("false", "9464", 9464); // no UI
    StartupChecks.requireOwnMetricsPort("true", "9464", 0); // no metrics
    StartupChecks.requireOwnMetricsPort("true", "4040", 9464);
  }

  @Test
  void theFirstStartRecordsTheTopicIdAndAnotherIdIsRefused(@TempDir Path dir) throws Exception {
    Path checkpoint = dir.resolve("ingest");
    Uuid first = Uuid.randomUuid();
    StartupChecks.requireSameInputTopic(checkpoint, "user_activity", first, NO_OFFSETS);
    assertThat(Files.readString(checkpoint.resolve(StartupChecks.INPUT_TOPIC_ID_FILE)))
        .isEqualTo("user_activity " + first + "\n");
    StartupChecks.requireSameInputTopic(checkpoint, "user_activity", first, NO_OFFSETS); // the same topic: fine
    StartupChecks.requireSameInputTopic(checkpoint, "user_activity", null, NO_OFFSETS); // not there (yet): skipped

    Uuid recreated = Uuid.randomUuid();
    assertThatThrownBy(() -> StartupChecks.requireSameInputTopic(checkpoint, "user_activity", recreated, NO_OFFSETS))
        .isInstanceOf(StartupFailure.class)
        .hasMessage("topic user_activity has topic id " + recreated + ", but checkpoint " + checkpoint + " read topic id "
            + first + ": the topic was deleted and re-created; to read the new topic from its start, delete that "
            + "checkpoint: rm -r " + checkpoint);
  }

  @Test
  void aCheckpointOfAnEarlierVersionGetsTheIdOfTheTopicItReads(@TempDir Path dir) throws Exception {
    Path checkpoint = dir.resolve("analytics");
    Files.createDirectories(checkpoint.resolve("offsets"));
    Uuid id = Uuid.randomUuid();
    StartupChecks.requireSameInputTopic(checkpoint, "user_activity", id, NO_OFFSETS);
    assertThat(Files.readString(checkpoint.resolve(StartupChecks.INPUT_TOPIC_ID_FILE))).contains(id.toString());
  }

  @Test
  void anAnalyticsCheckpointOfTheEarlierStateLayoutIsOneLineAndAFreshOneIsMarked(@TempDir Path dir) throws Exception {
    Path fresh = dir.resolve("fresh");
    StartupChecks.requireStateLayout(fresh, "analytics-2");
    assertThat(Files.readString(fresh.resolve(StartupChecks.STATE_LAYOUT_FILE))).isEqualTo("analytics-2\n");
    Files.createDirectories(fresh.resolve("offsets"));
    Files.writeString(fresh.resolve("offsets").resolve("0"), "v1\n{}\n{}\n");
    StartupChecks.requireStateLayout(fresh, "analytics-2"); // its own layout, after micro-batches: fine

    Path earlier = dir.resolve("earlier"); // micro-batches planned, no layout file: the version before the file
    Files.createDirectories(earlier.resolve("offsets"));
    Files.writeString(earlier.resolve("offsets").resolve("3"), "v1\n{}\n{}\n");
    assertThatThrownBy(() -> StartupChecks.requireStateLayout(earlier, "analytics-2"))
        .isInstanceOf(StartupFailure.class)
        .hasMessage("checkpoint " + earlier + " holds aggregation state of an earlier version (no state-layout file; "
            + "this version's is analytics-2): delete it (rm -r " + earlier + ") and the query starts again from "
            + "STARTING_OFFSETS; `recompute` rebuilds closed windows from the lake");
    assertThat(earlier.resolve(StartupChecks.STATE_LAYOUT_FILE)).doesNotExist();
    assertThatThrownBy(() -> StartupChecks.requireStateLayout(fresh, "analytics-3")).isInstanceOf(StartupFailure.class)
        .hasMessageContaining("(analytics-2; this version's is analytics-3)");
  }
}
