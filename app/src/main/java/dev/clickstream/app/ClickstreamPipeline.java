package dev.clickstream.app;

import dev.clickstream.app.config.Settings;
import dev.clickstream.contract.StartupFailure;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;

/**
 * The clickstream Spark application's entry point (the image's main class): settings, then
 * {@link PipelineLauncher} (Flyway migrations, SparkSession, lake maintenance), then {@link PipelineRuntime} until
 * the queries of {@link PipelineTopology} end, with SIGTERM and SIGINT stopping them.
 *
 * <p>Exit status: 2 naming a bad setting, or a time zone, checkpoint or lake this version cannot use, or the
 * bootstrap servers and SASL mechanism when the brokers refuse the credentials or the ACLs; 1 naming the URL when
 * Postgres stays unreachable for 60 s, when the brokers do not answer within 60 s, or with the cause when a query
 * fails (the others are stopped); 0 after SIGTERM/SIGINT (queries stopped) or, with
 * {@code TRIGGER_INTERVAL=available-now}, once every query has processed what was in the topic when it started.
 */
public final class ClickstreamPipeline {
  private static final Logger LOG = LoggerFactory.getLogger(ClickstreamPipeline.class);

  private ClickstreamPipeline() {}

  /**
   * Entry point; exits the JVM with 0 (stopped or done), 1 (failure) or 2 (bad settings).
   *
   * @param args flags of {@link Settings}
   */
  public static void main(String[] args) {
    System.exit(run(args, System.getenv()));
  }

  /**
   * Runs the pipeline to its end (see the class comment).
   *
   * @param args flags
   * @param env environment
   * @return exit status: 0, 1 or 2
   */
  public static int run(String[] args, Map<String, String> env) {
    Settings settings;
    PipelineLauncher launcher;
    try {
      settings = Settings.parse(args, env);
      LOG.info("settings {}", settings.describe());
      launcher = PipelineLauncher.launch(settings);
    } catch (StartupFailure e) { // a bad setting (2), Postgres unreachable or a migration failing (1)
      System.err.println("clickstream: " + e.getMessage());
      return e.exitStatus();
    }
    try (launcher) {
      installSignalHandlers(launcher.pipeline());
      return launcher.runUntilDone();
    }
  }

  /** SIGTERM and SIGINT stop the queries (Kubernetes sends SIGTERM to a pod it stops). */
  static void installSignalHandlers(PipelineRuntime pipeline) {
    for (String name : new String[] {"TERM", "INT"}) {
      try {
        Signal.handle(new Signal(name), signal -> {
          LOG.info("SIG{} received: stopping the queries", name);
          new Thread(pipeline::stopOnRequest, "clickstream-stop").start();
        });
      } catch (IllegalArgumentException e) {
        // signal not available on this platform
      }
    }
  }
}
