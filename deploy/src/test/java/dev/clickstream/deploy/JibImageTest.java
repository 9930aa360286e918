package dev.clickstream.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Both images built offline by the real Maven build (jib:buildTar) against a synthetic docker-save base that
 * stands in for the Spark and JRE images, then opened: layers, user and entrypoint as the chart expects them.
 */
class JibImageTest {
  static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
  static final Path WORK = Path.of("target", "jib-test").toAbsolutePath();
  static Path base;

  @BeforeAll
  static void syntheticBaseImage() throws Exception {
    if (Files.exists(WORK)) {
      run(WORK.getParent(), "rm", "-rf", WORK.toString());
    }
    Files.createDirectories(WORK.resolve("root/opt"));
    Path entrypoint = WORK.resolve("root/opt/entrypoint.sh");
    Files.writeString(entrypoint, "#!/bin/sh\necho synthetic base\n");
    entrypoint.toFile().setExecutable(true);
    run(WORK, "tar", "-C", WORK.resolve("root").toString(), "-cf", WORK.resolve("layer.tar").toString(), "opt");
    String diffId = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(WORK.resolve("layer.tar"))));
    // like the Spark image: user 185, /opt/entrypoint.sh dispatching driver/executor
    Files.writeString(WORK.resolve("config.json"), "{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"User\":\"185\","
        + "\"Entrypoint\":[\"/opt/entrypoint.sh\"],\"Env\":[\"PATH=/usr/bin:/bin\"]},\"rootfs\":{\"type\":\"layers\","
        + "\"diff_ids\":[\"sha256:" + diffId + "\"]}}");
    Files.writeString(WORK.resolve("manifest.json"),
        "[{\"Config\":\"config.json\",\"RepoTags\":[\"synthetic/base:test\"],\"Layers\":[\"layer.tar\"]}]");
    base = WORK.resolve("base.tar");
    run(WORK, "tar", "-C", WORK.toString(), "-cf", base.toString(), "manifest.json", "config.json", "layer.tar");
  }

  record Image(JsonNode config, JsonNode manifest, List<String> files) {}

  static Image build(String module, boolean imageProfile) throws Exception {
    Path out = WORK.resolve(module + "-image.tar");
    List<String> command = new ArrayList<>(List.of("mvn", "-B", "-q", "-f", ROOT.resolve("pom.xml").toString(), "-pl", module,
        "package", "jib:buildTar", "-Dmaven.test.skip=true", "-Djib.from.image=tar://" + base, "-Djib.outputPaths.tar=" + out));
    if (imageProfile) {
      command.add("-Pimage");
    }
    run(ROOT, command.toArray(String[]::new));
    Path dir = WORK.resolve(module + "-image");
    Files.createDirectories(dir);
    run(dir, "tar", "-xf", out.toString());
    ObjectMapper json = new ObjectMapper();
    JsonNode manifest = json.readTree(dir.resolve("manifest.json").toFile()).get(0);
    List<String> files = new ArrayList<>();
    for (JsonNode layer : manifest.path("Layers")) {
      files.addAll(run(dir, "tar", "-tzf", dir.resolve(layer.asText()).toString()).lines()
          .filter(l -> !l.startsWith("tar:")).toList());
    }
    return new Image(json.readTree(dir.resolve(manifest.path("Config").asText()).toFile()), manifest, files);
  }

  @Test
  void theAppImageKeepsSparksEntrypointAndCarriesOnlyOurJars() throws Exception {
    Image image = build("app", true);
    JsonNode spark = ChartTest.render(null).one("SparkApplication").path("spec");
    assertThat(image.manifest().path("RepoTags").get(0).asText()).isEqualTo(spark.path("image").asText());
    assertThat(image.config().path("config").path("Entrypoint").get(0).asText()).isEqualTo("/opt/entrypoint.sh");
    assertThat(image.config().path("config").path("User").asText()).isEqualTo("185");

    String jar = spark.path("mainApplicationFile").asText().replace("local:///", "");
    assertThat(image.files()).contains(jar);
    String libs = spark.path("sparkConf").path("spark.driver.extraClassPath").asText().replace("/*", "/").substring(1);
    assertThat(image.files()).filteredOn(f -> f.startsWith(libs) && f.endsWith(".jar"))
        .anyMatch(f -> f.contains("spark-sql-kafka-0-10_2.13-4.2.0"))
        .anyMatch(f -> f.contains("kafka-clients-3.9.2"))
        .anyMatch(f -> f.contains("postgresql-"))
        .anyMatch(f -> f.contains("flyway-core"))
        .anyMatch(f -> f.contains("delta-spark_4.2_2.13-4.4.0"))
        .anyMatch(f -> f.contains("delta-storage-4.4.0"))
        // the maintained lz4 fork (the parent POM), ahead of the Spark image's vulnerable lz4-java-1.8.0 on the
        // class path (extraClassPath comes first)
        .anyMatch(f -> f.matches(".*/lz4-java-1\\.(1\\d|[2-9]\\d)\\..*\\.jar"))
        .noneMatch(f -> f.contains("lz4-java-1.8."))
        // the driver's /metrics (METRICS_PORT): the Prometheus Java client is not in the Spark image
        .anyMatch(f -> f.contains("prometheus-metrics-core-1.10.0"))
        .anyMatch(f -> f.contains("prometheus-metrics-exporter-httpserver-1.10.0"))
        .anyMatch(f -> f.contains("prometheus-metrics-instrumentation-jvm-1.10.0"))
        .noneMatch(f -> f.contains("spark-core_") || f.contains("spark-sql_") || f.contains("spark-tags_")
            || f.contains("scala-library") || f.contains("hadoop-client"));
    assertThat(spark.path("sparkConf").path("spark.executor.extraClassPath").asText())
        .isEqualTo(spark.path("sparkConf").path("spark.driver.extraClassPath").asText());
  }

  @Test
  void theProducerImageRunsTheCliAsNonRoot() throws Exception {
    Image image = build("producer", false);
    JsonNode cron = ChartTest.render(null).one("CronJob");
    String chartImage = cron.path("spec").path("jobTemplate").path("spec").path("template").path("spec")
        .path("containers").get(0).path("image").asText();
    assertThat(image.manifest().path("RepoTags").get(0).asText()).isEqualTo(chartImage);
    assertThat(image.config().path("config").path("User").asText()).isEqualTo("1000");
    List<String> entrypoint = new ArrayList<>();
    image.config().path("config").path("Entrypoint").forEach(e -> entrypoint.add(e.asText()));
    assertThat(entrypoint).first().isEqualTo("java");
    assertThat(entrypoint).last().isEqualTo("dev.clickstream.producer.ProducerCli");
    assertThat(image.files()).anyMatch(f -> f.startsWith("app/libs/kafka-clients-3.9.2"))
        .anyMatch(f -> f.matches("app/libs/lz4-java-1\\.(1\\d|[2-9]\\d)\\..*\\.jar")).noneMatch(f -> f.contains("lz4-java-1.8."))
        .anyMatch(f -> f.startsWith("app/libs/picocli-"))
        .anyMatch(f -> f.startsWith("app/classes/dev/clickstream/producer/ProducerCli.class"));
  }

  private static String run(Path dir, String... command) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(10, TimeUnit.MINUTES) || p.exitValue() != 0) {
      throw new AssertionError(String.join(" ", command) + " failed:\n" + output);
    }
    return output;
  }
}
