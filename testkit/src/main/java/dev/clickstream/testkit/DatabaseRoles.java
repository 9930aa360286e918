package dev.clickstream.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The three roles of the clickstream database (docs/kubernetes.md, "Security") and their passwords, created by the chart's
 * {@code files/postgres-roles.sql}, which this class runs through JDBC as psql runs it in the Postgres pod.
 *
 * @param owner runs the migrations, owns the tables
 * @param ownerPassword its password
 * @param writer the sinks' role: SELECT, INSERT, UPDATE, DELETE on the result tables
 * @param writerPassword its password
 * @param reader people and dashboards: SELECT only
 * @param readerPassword its password
 */
public record DatabaseRoles(String owner, String ownerPassword, String writer, String writerPassword, String reader,
    String readerPassword) {
  /** The names the chart uses by default; passwords for a local server that trusts loopback connections. */
  public static final DatabaseRoles LOCAL = new DatabaseRoles("clickstream_owner", "owner-local",
      "clickstream", "writer-local", "clickstream_reader", "reader-local");

  /**
   * Roles of their own for one database of a shared test server (roles belong to the whole server).
   *
   * @param prefix e.g. the database's name
   * @return {@code <prefix>_owner}, {@code <prefix>_writer}, {@code <prefix>_reader}, each with a password of its own
   */
  public static DatabaseRoles named(String prefix) {
    return new DatabaseRoles(prefix + "_owner", prefix + "-owner-pw", prefix + "_writer", prefix + "-writer-pw",
        prefix + "_reader", prefix + "-reader-pw");
  }

  /** {@code :"name"} (a quoted identifier) or {@code :'name'} (a quoted literal): psql's variable references. */
  private static final Pattern VARIABLE = Pattern.compile(":(\"|')([A-Za-z_]+)\\1");

  /**
   * Runs {@code postgres-roles.sql} in {@code database} as the superuser, once: a server whose owner role exists
   * already is left as it is (like the Postgres image, which runs its init scripts only into an empty data
   * directory). Tables already in the database's public schema (a make run data directory of a version before the
   * roles) are handed to the owner, so that its migrations and grants apply to them.
   *
   * @param postgres the server
   * @param database the database the pipeline uses; must exist
   * @return whether the roles were created now
   * @throws IllegalStateException when a statement fails
   */
  public boolean createIn(PostgresFixture postgres, String database) {
    try (Connection c = DriverManager.getConnection(postgres.jdbcUrl(database), postgres.user(), postgres.password());
         Statement s = c.createStatement()) {
      var exists = s.executeQuery("SELECT 1 FROM pg_roles WHERE rolname = " + literal(owner));
      if (exists.next()) {
        return false;
      }
      Map<String, String> variables = Map.of("owner", owner, "writer", writer, "reader", reader,
          "owner_password", ownerPassword, "writer_password", writerPassword, "reader_password", readerPassword,
          "DBNAME", database);
      for (String statement : statements(script())) {
        s.execute(substitute(statement, variables));
      }
      List<String> tables = new ArrayList<>();
      try (var rs = s.executeQuery("SELECT quote_ident(tablename) FROM pg_tables WHERE schemaname = 'public'")) {
        while (rs.next()) {
          tables.add(rs.getString(1));
        }
      }
      for (String table : tables) {
        s.execute("ALTER TABLE public." + table + " OWNER TO " + substitute(":\"owner\"", variables));
      }
      return true;
    } catch (SQLException e) {
      throw new IllegalStateException("cannot create the database roles: " + e.getMessage(), e);
    }
  }

  /** @return the chart's {@code files/postgres-roles.sql}, packaged into this module as {@code db/postgres-roles.sql} */
  static String script() {
    try (InputStream in = DatabaseRoles.class.getResourceAsStream("/db/postgres-roles.sql")) {
      if (in == null) {
        throw new IllegalStateException("db/postgres-roles.sql is not on the classpath");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The script's statements: comment lines dropped, split at a semicolon that ends a line. */
  static List<String> statements(String script) {
    List<String> statements = new ArrayList<>();
    StringBuilder current = new StringBuilder();
    for (String line : script.split("\n")) {
      if (line.strip().startsWith("--") || line.isBlank()) {
        continue;
      }
      current.append(line).append('\n');
      if (line.strip().endsWith(";")) {
        statements.add(current.toString().strip().replaceAll(";$", ""));
        current.setLength(0);
      }
    }
    return statements;
  }

  /**
   * @return {@code statement} with psql's {@code :"name"} and {@code :'name'} replaced by the quoted value
   * @throws IllegalArgumentException for a variable not in {@code variables}
   */
  static String substitute(String statement, Map<String, String> variables) {
    Matcher m = VARIABLE.matcher(statement);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      String value = variables.get(m.group(2));
      if (value == null) {
        throw new IllegalArgumentException("no value for the psql variable " + m.group(2));
      }
      String quoted = m.group(1).equals("\"") ? "\"" + value.replace("\"", "\"\"") + "\"" : literal(value);
      m.appendReplacement(out, Matcher.quoteReplacement(quoted));
    }
    m.appendTail(out);
    return out.toString();
  }

  private static String literal(String value) {
    return "'" + value.replace("'", "''") + "'";
  }
}
