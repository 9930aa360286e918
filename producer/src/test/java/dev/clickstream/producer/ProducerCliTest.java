package dev.clickstream.producer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.clickstream.contract.EventType;
import dev.clickstream.testkit.FreePorts;
import dev.clickstream.testkit.KafkaBrokerExtension;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The CLI end to end against the in-process broker. */
class ProducerCliTest {
  @RegisterExtension static final KafkaBrokerExtension KAFKA = new KafkaBrokerExtension();

  private record Result(int exitCode, String out, String err) {}

  private static Result run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cl = ProducerCli.commandLine();
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    int code = cl.execute(args);
    return new Result(code, out.toString(), err.toString());
  }

  private static List<ConsumerRecord<String, String>> consumeAll(String topic, int expected) {
    List<ConsumerRecord<String, String>> records = new ArrayList<>();
    try (var consumer = new KafkaConsumer<String, String>(Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.bootstrapServers(),
        ConsumerConfig.GROUP_ID_CONFIG, "test-" + topic,
        ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
        ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 10_000), new StringDeserializer(), new StringDeserializer())) {
      consumer.subscribe(List.of(topic));
      long deadline = System.currentTimeMillis() + 60_000;
      int emptyPolls = 0;
      while (System.currentTimeMillis() < deadline && (records.size() < expected || emptyPolls < 2)) {
        var batch = consumer.poll(Duration.ofMillis(500));
        emptyPolls = batch.isEmpty() ? emptyPolls + 1 : 0;
        batch.forEach(records::add);
      }
    }
    return records;
  }

  @Test
  void duplicateEveryResendsEarlierEventsUnchanged() {
    Result result = run("--output", "-", "--rate", "0", "--count", "200", "--seed", "5", "--late-every", "0",
        "--duplicate-every", "20", "--batch-size", "50");
    assertThat(result.exitCode()).as(result.err()).isZero();
    List<String> lines = result.out().lines().toList();
    assertThat(lines).hasSize(200);
    assertThat(lines.stream().distinct().count()).as("10 resends of earlier lines").isEqualTo(190);
    for (int i = 19; i < 200; i += 20) {
      assertThat(lines.subList(0, i)).as("line %d repeats an earlier one", i).contains(lines.get(i));
    }
    Result bad = run("--output", "-", "--duplicate-every", "1");
    assertThat(bad.exitCode()).isEqualTo(2);
    assertThat(bad.err()).contains("--duplicate-every must be 0 (none) or at least 2");
  }

  @Test
  void kafkaSecuritySettingsAreCheckedBeforeConnecting() {
    Result unknown = run("--security-protocol", "TLS", "--count", "1");
    assertThat(unknown.exitCode()).isEqualTo(2);
    assertThat(unknown.err()).startsWith("clickstream-producer: KAFKA_SECURITY_PROTOCOL: 'TLS' is not one of");
    Result noJaas = run("--security-protocol", "SASL_SSL", "--count", "1");
    assertThat(noJaas.exitCode()).isEqualTo(2);
    // the pipeline's own rules and messages (the contract's KafkaSecurity, tested there)
    assertThat(noJaas.err()).startsWith("clickstream-producer: KAFKA_SASL_JAAS_CONFIG is required with KAFKA_SECURITY_PROTOCOL=SASL_SSL");
  }

  @Test
  void sends100kEventsThatAllParseWithUserIdKeys() throws Exception {
    KAFKA.createTopic("cli_bulk", 4);
    Result result = run("--bootstrap-servers", KAFKA.bootstrapServers(), "--topic", "cli_bulk",
        "--rate", "0", "--count", "100000", "--seed", "42");
    assertThat(result.exitCode()).as(result.err()).isZero();
    assertThat(result.err()).contains("done: sent 100000");

    List<ConsumerRecord<String, String>> records = consumeAll("cli_bulk", 100_000);
    assertThat(records).hasSize(100_000);
    assertThat(records).extracting(ConsumerRecord::partition).containsOnly(0, 1, 2, 3);
    for (ConsumerRecord<String, String> r : records) {
      // unthrottled, the generator's clock runs ahead of the wall clock (100k events of a shop's traffic in a
      // few seconds): parse them as of the last event's time
      UserActivityEvent e = EventCodec.fromJson(r.value(), java.time.Instant.now().plus(java.time.Duration.ofDays(1)),
          EventCodec.DEFAULT_MAX_EVENT_TIME_SKEW);
      assertThat(r.key()).isEqualTo(e.userId());
    }
    assertThat(records.stream().map(ConsumerRecord::value).distinct().count()).isEqualTo(100_000);
  }

  @Test
  void stdoutOutputReplaysIntoKafkaUnchanged(@TempDir Path dir) throws Exception {
    Result generated = run("--output", "-", "--rate", "0", "--count", "500", "--seed", "9", "--late-every", "0");
    assertThat(generated.exitCode()).isZero();
    List<String> lines = generated.out().lines().toList();
    assertThat(lines).hasSize(500);
    Path file = dir.resolve("recorded.jsonl");
    Files.writeString(file, generated.out() + "garbage line\n");

    KAFKA.createTopic("cli_replay", 2);
    Result replayed = run("--bootstrap-servers", KAFKA.bootstrapServers(), "--topic", "cli_replay",
        "--replay", file.toString(), "--speedup", "0");
    assertThat(replayed.exitCode()).as(replayed.err()).isZero();
    assertThat(replayed.err()).contains("skipped " + file + ":501: not JSON").contains("1 lines skipped");

    List<ConsumerRecord<String, String>> records = consumeAll("cli_replay", 500);
    assertThat(records).extracting(ConsumerRecord::value).containsExactlyInAnyOrderElementsOf(lines);
  }

  @Test
  void replayShiftedToNowStartsAtTheCurrentTime(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("old.csv");
    Files.writeString(file, "event_time,user_id,page_url,event_type,event_id\n"
        + "2020-01-01T00:00:00Z,u1,/,page_view,e1\n2020-01-01T00:00:00.200Z,u1,/,click,e2\n");
    long before = System.currentTimeMillis();
    Result result = run("--output", "-", "--replay", file.toString(), "--shift-to-now", "--speedup", "1");
    assertThat(result.exitCode()).isZero();
    List<UserActivityEvent> events = new ArrayList<>();
    for (String line : result.out().lines().toList()) {
      events.add(EventCodec.fromJson(line));
    }
    assertThat(events.get(0).eventTime().toEpochMilli()).isBetween(before - 1000, System.currentTimeMillis());
    assertThat(Duration.between(events.get(0).eventTime(), events.get(1).eventTime())).isEqualTo(Duration.ofMillis(200));
  }

  @Test
  void aRecordKafkaRefusesForGoodStopsTheProducerWithExitOneNamingTheError(@TempDir Path dir) throws Exception {
    // the second record (valid: its page_url is within the contract's 2,048 bytes) is larger than the topic's
    // max.message.bytes: RecordTooLargeException, which retrying cannot fix; 3,000 records follow it
    KAFKA.createTopic("cli_refused", 1, java.util.Map.of("max.message.bytes", "1000"));
    StringBuilder file = new StringBuilder(EventCodec.toJson(new UserActivityEvent("e0", java.time.Instant.parse(
        "2026-11-23T12:00:00Z"), "u1", "/", EventType.PAGE_VIEW))).append('\n');
    java.util.Random random = new java.util.Random(7); // random characters: no codec compresses them below the limit
    StringBuilder page = new StringBuilder("/");
    for (int i = 0; i < 2_000; i++) {
      page.append((char) ('a' + random.nextInt(26)));
    }
    file.append(EventCodec.toJson(new UserActivityEvent("e1", java.time.Instant.parse("2026-11-23T12:00:01Z"), "u1",
        page.toString(), EventType.PAGE_VIEW))).append('\n');
    for (int i = 2; i < 3_002; i++) {
      file.append(EventCodec.toJson(new UserActivityEvent("e" + i, java.time.Instant.parse("2026-11-23T12:00:02Z"), "u1",
          "/", EventType.CLICK))).append('\n');
    }
    Path replay = Files.writeString(dir.resolve("refused.jsonl"), file);
    // one record per flush: a batch of one record that the broker refuses is final (RecordTooLargeException); a
    // batch of several is split and resent by the Kafka client
    Result result = run("--bootstrap-servers", KAFKA.bootstrapServers(), "--topic", "cli_refused", "--replay",
        replay.toString(), "--speedup", "0", "--batch-size", "1");
    assertThat(result.exitCode()).isEqualTo(1);
    assertThat(result.err().lines().filter(l -> l.startsWith("clickstream-producer:")).toList()).singleElement().asString()
        .startsWith("clickstream-producer: Kafka refused a record of topic cli_refused and retrying cannot help: "
            + "org.apache.kafka.common.errors.RecordTooLargeException");
    // it stopped there: before, every failure was counted and all 3,002 records were sent
    assertThat(result.err()).doesNotContain("done: sent");
    assertThat(consumeAll("cli_refused", 1)).hasSizeLessThan(3);
  }

  @Test
  void unreachableBrokerExitsOneNamingTheServers() {
    String nowhere = "127.0.0.1:" + FreePorts.next();
    long start = System.nanoTime();
    Result result = run("--bootstrap-servers", nowhere, "--connect-timeout", "3s", "--count", "10");
    assertThat(result.exitCode()).isEqualTo(1);
    assertThat(result.err()).contains("Kafka unreachable at " + nowhere);
    assertThat(result.err().lines().filter(l -> l.startsWith("clickstream-producer:")).count()).isEqualTo(1);
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(30));
  }

  @Test
  void missingTopicExitsOneNamingIt() {
    Result result = run("--bootstrap-servers", KAFKA.bootstrapServers(), "--topic", "no_such_topic", "--count", "1");
    assertThat(result.exitCode()).isEqualTo(1);
    assertThat(result.err()).contains("topic no_such_topic does not exist");
  }

  @Test
  void sigtermFlushesWhatWasSentAndExitsZero(@TempDir Path dir) throws Exception {
    KAFKA.createTopic("cli_sigterm", 1);
    Path logFile = dir.resolve("producer.log");
    Process child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), ProducerCli.class.getName(),
        "--bootstrap-servers", KAFKA.bootstrapServers(), "--topic", "cli_sigterm", "--rate", "200", "--progress-interval", "500ms")
        .redirectErrorStream(true).redirectOutput(logFile.toFile()).start();
    // SIGTERM once more than 100 records are out (a progress line says so), however slowly the JVM started
    java.util.regex.Pattern progress = java.util.regex.Pattern.compile("sent (\\d{3,}),");
    org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(200))
        .until(() -> progress.matcher(Files.readString(logFile)).results().anyMatch(m -> Integer.parseInt(m.group(1)) > 100));
    child.destroy(); // SIGTERM
    assertThat(child.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
    String log = Files.readString(logFile);
    assertThat(child.exitValue()).as(log).isZero();
    java.util.regex.Matcher done = java.util.regex.Pattern.compile("done: sent (\\d+) .*\\(stopped by signal\\)").matcher(log);
    assertThat(done.find()).as(log).isTrue();
    int sent = Integer.parseInt(done.group(1));
    assertThat(sent).isGreaterThan(100);
    assertThat(consumeAll("cli_sigterm", sent)).hasSize(sent);
  }

  @Test
  void badFlagsExitTwoWithUsage() {
    Result unknown = run("--rat", "5");
    assertThat(unknown.exitCode()).isEqualTo(2);
    assertThat(unknown.err()).contains("Unknown options: '--rat'").contains("Usage: clickstream-producer");
    Result negative = run("--rate", "-5", "--output", "-");
    assertThat(negative.exitCode()).isEqualTo(2);
    assertThat(negative.err()).contains("--rate must be >= 0");
    Result badDuration = run("--late-by", "5 minuts", "--output", "-");
    assertThat(badDuration.exitCode()).isEqualTo(2);
    assertThat(badDuration.err()).contains("'5 minuts' is not a duration");
  }
}
