package dev.clickstream.ops;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The dependency audit against the repository's list, and this build's classpath against it. */
class DependencyAuditTest {
  private static final Path LIST = Path.of("..", "audit", "known-vulnerabilities.csv");

  @Test
  void flagsAnAffectedVersionAndPassesAFixedOne() throws Exception {
    Map<String, DependencyAudit.Advisory> list = DependencyAudit.advisories(Files.readString(LIST));
    String listed = """
        [INFO] The following files have been resolved:
           org.apache.kafka:kafka-clients:jar:3.9.1:compile -- module kafka.clients
           org.lz4:lz4-java:jar:1.8.0:runtime -- module org.lz4.java
           at.yawk.lz4:lz4-java:jar:1.9.0:compile
           at.yawk.lz4:lz4-java:jar:1.10.1:compile
           at.yawk.lz4:lz4-java:jar:1.14.1:runtime
           org.junit.jupiter:junit-jupiter:jar:5.11.0:test
        """;
    List<String> deps = DependencyAudit.fromDependencyList(listed);
    assertThat(deps).doesNotContain("org.junit.jupiter:junit-jupiter:5.11.0").contains("org.lz4:lz4-java:1.8.0");
    assertThat(DependencyAudit.findings(deps, list)).containsExactly(
        "at.yawk.lz4:lz4-java:1.9.0: CVE-2025-12183 CVE-2025-66566 (fixed in 1.10.1)",
        "org.lz4:lz4-java:1.8.0: CVE-2025-12183 CVE-2025-66566 (no fixed version: replace it)");
  }

  /** The parent POM's management replaces the vulnerable lz4 that Kafka's clients bring (testkit -> Kafka here). */
  @Test
  void thisBuildsClasspathHasNoListedVulnerableVersion() throws Exception {
    List<String> classpath = DependencyAudit.fromClasspath(System.getProperty("java.class.path"));
    assertThat(classpath).as("Kafka's clients are on it, and with them lz4").anyMatch(d -> d.startsWith("org.apache.kafka:kafka-clients:"))
        .anyMatch(d -> d.startsWith("at.yawk.lz4:lz4-java:")).noneMatch(d -> d.startsWith("org.lz4:lz4-java:"));
    assertThat(DependencyAudit.findings(classpath, DependencyAudit.advisories(Files.readString(LIST)))).isEmpty();
  }
}
