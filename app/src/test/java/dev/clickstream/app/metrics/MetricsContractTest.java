package dev.clickstream.app.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.clickstream.app.source.EventParser;
import dev.clickstream.testkit.PrometheusText;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.common.TopicPartition;
import org.apache.spark.sql.streaming.StateOperatorProgress;
import org.apache.spark.sql.streaming.StreamingQueryListener;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The metric names are a contract (README "Metrics"): what the driver exports, what the README lists, and what the
 * Grafana dashboard and the alert rules of the chart query must agree.
 */
class MetricsContractTest {
  static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
  static final Path DASHBOARD = ROOT.resolve("helm/clickstream/files/grafana-dashboard.json");
  static final Path RULES = ROOT.resolve("helm/clickstream/files/prometheus-rules.yaml");
  /** Strimzi's Kafka Exporter (danielqsj/kafka_exporter) metrics the dashboard may use: produced records per topic. */
  static final Set<String> KAFKA_EXPORTER = Set.of("kafka_topic_partition_current_offset");
  private static final Set<String> PROMQL_WORDS = Set.of("and", "or", "unless", "bool", "offset", "by", "without", "on",
      "ignoring", "group_left", "group_right", "inf", "nan");

  /** Sample names of a driver that has seen every kind of event once. */
  static Set<String> exported;

  @BeforeAll
  static void exportEverySeries() {
    PipelineMetrics metrics = new PipelineMetrics();
    Map<TopicPartition, Long> latest = Map.of(new TopicPartition("user_activity", 0), 10L);
    QueryMetricsListener listener = new QueryMetricsListener(metrics, p -> latest);
    metrics.expect(dev.clickstream.contract.Query.names(), dev.clickstream.contract.EventContract.REASONS, dev.clickstream.app.PipelineRuntime.SINKS,
        dev.clickstream.contract.ResultTable.names(dev.clickstream.contract.ResultTable.results()));
    metrics.triggerInterval("ingest", 10);
    listener.onQueryStarted(new StreamingQueryListener.QueryStartedEvent(UUID.randomUUID(), UUID.randomUUID(), "ingest", "2026-11-25T10:00:00Z"));
    listener.onQueryProgress(Progress.event("ingest", 0, "2026-11-25T10:00:00.000Z", 800, Map.of(),
        new StateOperatorProgress[0], Progress.kafka(10, "{\"user_activity\":{\"0\":10}}")));
    listener.onQueryProgress(Progress.event("analytics", 0, "2026-11-25T10:00:00.000Z", 800,
        Map.of("watermark", Instant.now().minusSeconds(200).toString()), new StateOperatorProgress[] {Progress.state(5, 100, 1)},
        Progress.kafka(10, "{\"user_activity\":{\"0\":10}}")));
    exported = PrometheusText.parse(metrics.scrape()).names();
  }

  /** @return the metric names a PromQL expression selects (functions, keywords, labels, ranges left out) */
  static Set<String> metricNames(String promql) {
    String e = promql.replaceAll("\"(?:[^\"\\\\]|\\\\.)*\"", "\"\"")
        .replaceAll("\\{[^}]*}", " ")
        .replaceAll("\\[[^]]*]", " ")
        .replaceAll("\\b(by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)", " ");
    Set<String> names = new TreeSet<>();
    Matcher m = Pattern.compile("(?<![\\w$.])([a-zA-Z_:][a-zA-Z0-9_:]*)(\\s*\\()?").matcher(e);
    while (m.find()) {
      if (m.group(2) == null && !PROMQL_WORDS.contains(m.group(1).toLowerCase())) {
        names.add(m.group(1));
      }
    }
    return names;
  }

  @Test
  void promqlNamesAreFoundAndFunctionsAreNot() {
    assertThat(metricNames("histogram_quantile(0.95, sum by (query, le) (rate(a_bucket{query=~\"$query\"}[$__rate_interval])))"))
        .containsExactly("a_bucket");
    assertThat(metricNames("time() - max by (query) (b) > 300 and c == 1 unless on(x) d offset 5m")).containsExactly("b", "c", "d");
  }

  @Test
  void theReadmeListsExactlyTheExportedClickstreamMetrics() throws Exception {
    Set<String> families = new TreeSet<>();
    for (String name : exported) {
      if (name.startsWith("clickstream_")) {
        families.add(name.replaceAll("_(bucket|sum|count)$", ""));
      }
    }
    Set<String> listed = new TreeSet<>();
    Matcher m = Pattern.compile("(?m)^\\| `(clickstream_\\w+)`").matcher(Files.readString(ROOT.resolve("README.md")));
    while (m.find()) {
      listed.add(m.group(1));
    }
    assertThat(families).hasSizeGreaterThanOrEqualTo(16);
    assertThat(listed).isEqualTo(families);
  }

  /** README's alerts table names every alert rule of the chart, in the rules file's order, and nothing else. */
  @Test
  void theReadmeListsEveryAlertRule() throws Exception {
    JsonNode rules = new ObjectMapper(new YAMLFactory()).readTree(RULES.toFile());
    List<String> alerts = new ArrayList<>();
    rules.path("groups").forEach(g -> g.path("rules").forEach(r -> {
      if (r.has("alert")) {
        alerts.add(r.path("alert").asText());
      }
    }));
    List<String> listed = new ArrayList<>();
    Matcher m = Pattern.compile("(?m)^\\| `(Clickstream\\w+)` \\|").matcher(Files.readString(ROOT.resolve("README.md")));
    while (m.find()) {
      listed.add(m.group(1));
    }
    assertThat(alerts).hasSizeGreaterThanOrEqualTo(8);
    assertThat(listed).isEqualTo(alerts);
  }

  /**
   * README's metrics table lists the label values the code defines: every dead-letter reason code (in the
   * validator's order) and every sink.
   */
  @Test
  void theReadmeListsEveryReasonCodeAndSink() throws Exception {
    String readme = Files.readString(ROOT.resolve("README.md"));
    assertThat(codesIn(readme, "clickstream_dead_letters_total")).isEqualTo(dev.clickstream.contract.EventContract.REASONS);
    assertThat(codesIn(readme, "clickstream_sink_rows_total")).isEqualTo(dev.clickstream.app.PipelineRuntime.SINKS);
  }

  /** @return the back-quoted words of the metric's row in README's table after its name, type, labels and unit */
  private static List<String> codesIn(String readme, String metric) {
    Matcher row = Pattern.compile("(?m)^\\| `" + metric + "` \\|[^|]*\\|[^|]*\\|[^|]*\\|(.*)\\|$").matcher(readme);
    assertThat(row.find()).as("README's row of " + metric).isTrue();
    List<String> codes = new ArrayList<>();
    Matcher word = Pattern.compile("`([a-z_]+)`").matcher(row.group(1));
    while (word.find()) {
      codes.add(word.group(1));
    }
    return codes;
  }

  @Test
  void everyDashboardPanelQueriesOnlyExportedMetricsThroughTheDatasourceVariable() throws Exception {
    JsonNode dashboard = new ObjectMapper().readTree(DASHBOARD.toFile());
    List<String> variables = new ArrayList<>();
    dashboard.path("templating").path("list").forEach(v -> variables.add(v.path("name").asText() + ":" + v.path("type").asText()));
    assertThat(variables).containsExactly("datasource:datasource", "query:query");
    Set<Integer> ids = new TreeSet<>();
    int exprs = 0;
    for (JsonNode panel : dashboard.path("panels")) {
      assertThat(ids.add(panel.path("id").asInt())).as("unique panel id %s", panel.path("id")).isTrue();
      JsonNode grid = panel.path("gridPos");
      assertThat(grid.path("x").asInt() + grid.path("w").asInt()).as(panel.path("title").asText()).isLessThanOrEqualTo(24);
      if (panel.path("type").asText().equals("row")) {
        continue;
      }
      assertThat(panel.path("datasource").path("uid").asText()).as(panel.path("title").asText()).isEqualTo("${datasource}");
      assertThat(panel.path("targets").size()).isPositive();
      for (JsonNode target : panel.path("targets")) {
        String expr = target.path("expr").asText();
        exprs++;
        for (String name : metricNames(expr)) {
          assertThat(exported.contains(name) || KAFKA_EXPORTER.contains(name))
              .as("panel '%s' queries %s, which nothing exports", panel.path("title").asText(), name).isTrue();
        }
      }
    }
    assertThat(exprs).isGreaterThanOrEqualTo(15);
  }

  @Test
  void everyAlertQueriesOnlyExportedMetricsAndSaysWhatToDo() throws Exception {
    JsonNode rules = new ObjectMapper(new YAMLFactory()).readTree(RULES.toFile());
    List<String> alerts = new ArrayList<>();
    for (JsonNode group : rules.path("groups")) {
      for (JsonNode rule : group.path("rules")) {
        String alert = rule.path("alert").asText();
        alerts.add(alert);
        for (String name : metricNames(rule.path("expr").asText())) {
          assertThat(exported).as("%s queries %s", alert, name).contains(name);
        }
        assertThat(rule.path("labels").path("severity").asText()).as(alert).isIn("warning", "critical");
        assertThat(rule.path("annotations").path("summary").asText()).as(alert).isNotBlank();
        assertThat(rule.path("annotations").path("description").asText()).as(alert).isNotBlank();
      }
    }
    assertThat(alerts).contains("ClickstreamQueryDown", "ClickstreamNoBatchCommitted", "ClickstreamKafkaLagGrowing",
        "ClickstreamBatchSlowerThanTrigger", "ClickstreamDeadLetterRateHigh");
  }

  /**
   * Prometheus's own checker and rule unit tests (src/test/resources/prometheus-rules-test.yaml: each alert fires
   * on the series that should fire it, with its rendered text, and a healthy pipeline fires none). .ci/run
   * installs Debian's prometheus package, which has promtool.
   */
  @Test
  @Tag("promtool")
  void promtoolChecksTheRulesAndTheirUnitTestsPass() throws Exception {
    Assumptions.assumeTrue(onPath("promtool"), "promtool is not installed (apt-get install prometheus): rule unit tests skipped");
    assertThat(run("promtool", "check", "rules", RULES.toString())).contains("SUCCESS: 8 rules found");
    // make monitoring-local's configuration, with the same rules
    assertThat(run("promtool", "check", "config", ROOT.resolve("local/prometheus.yml").toString())).contains("SUCCESS: 1 rule files found");
    assertThat(run("promtool", "test", "rules", Path.of("src/test/resources/prometheus-rules-test.yaml").toAbsolutePath().toString()))
        .contains("SUCCESS");
  }

  private static boolean onPath(String command) {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
      if (Files.isExecutable(Path.of(dir, command))) {
        return true;
      }
    }
    return false;
  }

  private static String run(String... command) throws Exception {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(String.join(" ", command) + ":\n" + out).isZero();
    return out;
  }
}
