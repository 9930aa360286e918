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

/** The input topic recognised by its Kafka topic id, recorded beside each checkpoint. */
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
}
