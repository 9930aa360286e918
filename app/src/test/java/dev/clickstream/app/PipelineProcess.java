package dev.clickstream.app;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The pipeline as a child JVM ({@code java <Spark JVM options> -cp <test classpath> ClickstreamPipeline}),
 * the way {@code make run} and the container start it, so tests can kill it for real.
 */
final class PipelineProcess {
  private final Process process;
  final Path log;

  private PipelineProcess(Process process, Path log) {
    this.process = process;
    this.log = log;
  }

  static PipelineProcess start(Map<String, String> env, Path log) throws IOException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    // the Spark JVM options of the parent POM, filtered into target/jvm.options at build time
    command.addAll(Arrays.asList(Files.readString(Path.of("target", "jvm.options")).trim().split("\\s+")));
    command.addAll(List.of("-Xmx1500m", "-XX:+UseParallelGC", "-Dspark.ui.enabled=false",
        "-cp", testClasspath(), ClickstreamPipeline.class.getName()));
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
    builder.environment().putAll(env);
    builder.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
    return new PipelineProcess(builder.start(), log);
  }

  private static String testClasspath() {
    String surefire = System.getProperty("surefire.test.class.path");
    return surefire != null && !surefire.isBlank() ? surefire : System.getProperty("java.class.path");
  }

  /** SIGKILL: no shutdown hooks, no graceful stop, like a lost pod. */
  void kill() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor();
  }

  boolean isAlive() {
    return process.isAlive();
  }

  Process process() {
    return process;
  }

  /** @return committed micro-batches of a query so far: files in its checkpoint's commits/ directory */
  static long commits(Path checkpointRoot, String query) throws IOException {
    Path commits = checkpointRoot.resolve(query).resolve("commits");
    if (!Files.isDirectory(commits)) {
      return 0;
    }
    try (Stream<Path> files = Files.list(commits)) {
      return files.filter(f -> f.getFileName().toString().matches("\\d+")).count();
    }
  }
}
