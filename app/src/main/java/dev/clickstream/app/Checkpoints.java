package dev.clickstream.app;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.stream.Stream;

/**
 * Reads a Structured Streaming checkpoint directory as plain files, without Spark: {@code offsets/<batchId>}
 * (written when a micro-batch is planned: a version line, a metadata line, then one offset line per source) and
 * {@code commits/<batchId>} (written when its sink has finished). Used at start-up to refuse checkpoints this
 * version cannot use.
 */
public final class Checkpoints {
  private Checkpoints() {}

  /**
   * @param checkpoint a query's checkpoint directory
   * @return the offset line of the first source in the newest committed micro-batch (for Kafka:
   *     {@code {"user_activity":{"0":123,...}}}, the form of Spark's {@code startingOffsets}), or empty
   */
  public static Optional<String> lastCommittedOffsets(Path checkpoint) {
    OptionalLong committed = lastBatch(checkpoint.resolve("commits"));
    if (committed.isEmpty()) {
      return Optional.empty();
    }
    return sourceOffset(checkpoint.resolve("offsets").resolve(String.valueOf(committed.getAsLong())));
  }

  /**
   * @param checkpoint a query's checkpoint directory
   * @return the id of its newest committed micro-batch; empty for a fresh checkpoint
   */
  public static OptionalLong lastCommittedBatch(Path checkpoint) {
    return lastBatch(checkpoint.resolve("commits"));
  }

  /**
   * @param checkpoint a query's checkpoint directory
   * @return whether it has planned a micro-batch (an offset log entry): false for a fresh or missing checkpoint
   */
  public static boolean hasPlannedBatches(Path checkpoint) {
    return lastBatch(checkpoint.resolve("offsets")).isPresent();
  }

  /**
   * @param checkpoint a query's checkpoint directory
   * @return whether its newest planned micro-batch read a Delta table (offsets with a {@code reservoirId}) rather
   *     than a Kafka topic (offsets per topic and partition); false for a fresh checkpoint
   */
  public static boolean readsDelta(Path checkpoint) {
    OptionalLong planned = lastBatch(checkpoint.resolve("offsets"));
    if (planned.isEmpty()) {
      return false;
    }
    return sourceOffset(checkpoint.resolve("offsets").resolve(String.valueOf(planned.getAsLong())))
        .map(line -> line.contains("\"reservoirId\""))
        .orElse(false);
  }

  /**
   * @param checkpoint a query's checkpoint directory
   * @return the event-time watermark of its newest committed micro-batch, epoch ms (the {@code batchWatermarkMs} of
   *     that batch's offset log entry: the watermark the micro-batch ran with); empty for a fresh checkpoint or one
   *     without a watermark yet (0)
   */
  public static OptionalLong watermarkMs(Path checkpoint) {
    OptionalLong committed = lastBatch(checkpoint.resolve("commits"));
    if (committed.isEmpty()) {
      return OptionalLong.empty();
    }
    long watermark = batchWatermarkMs(checkpoint.resolve("offsets").resolve(String.valueOf(committed.getAsLong())));
    return watermark > 0 ? OptionalLong.of(watermark) : OptionalLong.empty();
  }

  /**
   * The watermark a query had reached when it had read no further than {@code bound}: of its committed micro-batches
   * whose end offsets are all at most {@code bound} (per topic partition), the newest one's {@code batchWatermarkMs}.
   * Every window or session that watermark had closed got its events from offsets below that batch's end, so a table
   * holding everything up to {@code bound} holds every event the query counted in them.
   *
   * @param checkpoint a query's checkpoint directory (a Kafka source)
   * @param bound offsets per topic partition, e.g. what the lake query has committed ({@link #lastCommittedOffsets})
   * @return epoch ms; empty when no committed micro-batch lies within {@code bound} (the offset logs Spark keeps,
   *     {@code spark.sql.streaming.minBatchesToRetain}, are all beyond it) or none had a watermark yet
   */
  public static OptionalLong watermarkMsWithin(Path checkpoint, java.util.Map<org.apache.kafka.common.TopicPartition, Long> bound) {
    for (long batch : batches(checkpoint.resolve("commits")).sorted(java.util.Comparator.reverseOrder()).toList()) {
      Path offsets = checkpoint.resolve("offsets").resolve(String.valueOf(batch));
      if (!Files.exists(offsets)) {
        continue;
      }
      var read = dev.clickstream.app.metrics.KafkaLag.parseOffsets(sourceOffset(offsets).orElse(null));
      boolean within = !read.isEmpty() && read.entrySet().stream()
          .allMatch(e -> e.getValue() <= bound.getOrDefault(e.getKey(), Long.MIN_VALUE));
      if (within) {
        long watermark = batchWatermarkMs(offsets);
        return watermark > 0 ? OptionalLong.of(watermark) : OptionalLong.empty();
      }
    }
    return OptionalLong.empty();
  }

  private static long batchWatermarkMs(Path offsetFile) {
    try {
      List<String> lines = Files.readAllLines(offsetFile);
      return lines.size() < 2 ? 0
          : new com.fasterxml.jackson.databind.ObjectMapper().readTree(lines.get(1)).path("batchWatermarkMs").asLong(0);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static Optional<String> sourceOffset(Path offsetFile) {
    try {
      List<String> lines = Files.readAllLines(offsetFile);
      return lines.size() >= 3 ? Optional.of(lines.get(2).trim()) : Optional.empty();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static OptionalLong lastBatch(Path dir) {
    return batches(dir).mapToLong(Long::longValue).max();
  }

  /** @return the micro-batch ids of a checkpoint's {@code offsets/} or {@code commits/} (its numeric file names) */
  private static Stream<Long> batches(Path dir) {
    if (!Files.isDirectory(dir)) {
      return Stream.empty();
    }
    try (Stream<Path> files = Files.list(dir)) {
      return files.map(f -> f.getFileName().toString()).filter(n -> n.matches("\\d+")).map(Long::parseLong)
          .toList().stream();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
