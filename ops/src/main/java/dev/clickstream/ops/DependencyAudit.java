package dev.clickstream.ops;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.maven.artifact.versioning.ComparableVersion;

/**
 * The runtime dependencies that have a known vulnerability, from a list kept in the repository
 * ({@code audit/known-vulnerabilities.csv}): this build reaches Maven Central only, so vulnerability databases that
 * download their data (OWASP dependency-check's NVD feed, OSS Index) cannot run here. Versions compare as Maven
 * compares them ({@link ComparableVersion}).
 *
 * <p>{@code make audit}: {@code java ... DependencyAudit <list.csv> <dependency:list output>...}; exit 0 when
 * nothing matches, 1 when something does (one line each), 2 for unreadable input.
 */
public final class DependencyAudit {
  /** A line of {@code mvn dependency:list}: {@code group:artifact:type[:classifier]:version:scope[ -- module ...]}. */
  private static final Pattern LISTED = Pattern.compile(
      "^\\s*([\\w.-]+):([\\w.-]+):[\\w-]+(?::[\\w.-]+)?:([\\w.+-]+):(compile|runtime|provided|system|test)\\b.*$");
  /** A jar in a Maven repository layout: {@code .../<group path>/<artifact>/<version>/<artifact>-<version>.jar}. */
  private static final Pattern REPOSITORY_JAR = Pattern.compile(
      "^.*/repository/(.+)/([^/]+)/([^/]+)/\\2-\\3(?:-[\\w.-]+)?\\.jar$");

  /**
   * An artifact with a known vulnerability.
   *
   * @param fixedIn the first version without it; null when no version is fixed
   * @param advisories CVE or GHSA identifiers
   */
  record Advisory(String fixedIn, String advisories) {
    boolean affects(String version) {
      return fixedIn == null || new ComparableVersion(version).compareTo(new ComparableVersion(fixedIn)) < 0;
    }
  }

  private DependencyAudit() {}

  /**
   * @param csv the list's text: {@code artifact,fixed_in,advisories,note} rows, {@code #} comments, a header row
   * @return {@code group:artifact} -> advisory
   * @throws IllegalArgumentException for a row without three fields
   */
  static Map<String, Advisory> advisories(String csv) {
    Map<String, Advisory> list = new LinkedHashMap<>();
    for (String line : csv.split("\n")) {
      if (line.isBlank() || line.startsWith("#") || line.startsWith("artifact,")) {
        continue;
      }
      String[] f = line.split(",", 4);
      if (f.length < 3) {
        throw new IllegalArgumentException("not artifact,fixed_in,advisories,note: " + line);
      }
      list.put(f[0].trim(), new Advisory(f[1].trim().equals("none") ? null : f[1].trim(), f[2].trim()));
    }
    return list;
  }

  /**
   * @param dependencyList output of {@code mvn dependency:list} (other lines are skipped)
   * @return {@code group:artifact:version} of each dependency, in order, without duplicates
   */
  static List<String> fromDependencyList(String dependencyList) {
    TreeSet<String> found = new TreeSet<>();
    for (String line : dependencyList.split("\n")) {
      Matcher m = LISTED.matcher(line);
      if (m.matches() && !m.group(4).equals("test")) {
        found.add(m.group(1) + ":" + m.group(2) + ":" + m.group(3));
      }
    }
    return new ArrayList<>(found);
  }

  /**
   * @param classpath a JVM class path ({@code java.class.path}); entries outside a Maven repository are skipped
   * @return {@code group:artifact:version} of each jar
   */
  static List<String> fromClasspath(String classpath) {
    TreeSet<String> found = new TreeSet<>();
    for (String entry : classpath.split(java.io.File.pathSeparator)) {
      Matcher m = REPOSITORY_JAR.matcher(entry.replace('\\', '/'));
      if (m.matches()) {
        found.add(m.group(1).replace('/', '.') + ":" + m.group(2) + ":" + m.group(3));
      }
    }
    return new ArrayList<>(found);
  }

  /**
   * @param dependencies {@code group:artifact:version} entries
   * @param advisories the list
   * @return one line per affected dependency: {@code group:artifact:version: advisories (fixed in x)}
   */
  static List<String> findings(List<String> dependencies, Map<String, Advisory> advisories) {
    List<String> out = new ArrayList<>();
    for (String d : dependencies) {
      int last = d.lastIndexOf(':');
      Advisory a = advisories.get(d.substring(0, last));
      if (a != null && a.affects(d.substring(last + 1))) {
        out.add(d + ": " + a.advisories() + (a.fixedIn() == null ? " (no fixed version: replace it)"
            : " (fixed in " + a.fixedIn() + ")"));
      }
    }
    return out;
  }

  /**
   * @param args the list's path, then one or more {@code mvn dependency:list} output files
   */
  public static void main(String[] args) {
    if (args.length < 2) {
      System.err.println("usage: DependencyAudit <known-vulnerabilities.csv> <dependency-list.txt>...");
      System.exit(2);
    }
    try {
      Map<String, Advisory> list = advisories(Files.readString(Path.of(args[0])));
      TreeSet<String> dependencies = new TreeSet<>();
      for (int i = 1; i < args.length; i++) {
        dependencies.addAll(fromDependencyList(Files.readString(Path.of(args[i]))));
      }
      List<String> findings = findings(new ArrayList<>(dependencies), list);
      System.out.printf("audit: %d runtime dependencies of %d modules against %d advisories in %s%n",
          dependencies.size(), args.length - 1, list.size(), args[0]);
      findings.forEach(f -> System.out.println("VULNERABLE " + f));
      System.exit(findings.isEmpty() ? 0 : 1);
    } catch (IOException | IllegalArgumentException e) {
      System.err.println("audit: " + e.getMessage());
      System.exit(2);
    }
  }
}
