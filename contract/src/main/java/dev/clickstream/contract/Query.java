package dev.clickstream.contract;

import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * The pipeline's four streaming queries (docs/architecture.md, "Queries"), in start order. A query's name is Spark's
 * query name, the {@code query} label of every metric, the {@code query=} field of the micro-batch log line and the
 * directory of its checkpoint under {@code ${CHECKPOINT_ROOT}}.
 */
public enum Query {
  /** Valid events to {@code enriched_activity}, malformed records to the dead-letter topic; at least once. */
  INGEST("ingest", SinkKind.KAFKA_TOPICS),
  /** Valid events to the Delta table, one idempotent commit per micro-batch; exactly once. */
  LAKE("lake", SinkKind.DELTA_TABLE),
  /** The six windowed tables from one deduplicated aggregation, upserted into Postgres. */
  ANALYTICS("analytics", SinkKind.POSTGRES_TABLES),
  /** Sessions with an inactivity timeout, upserted into Postgres. */
  USER_SESSIONS("user-sessions", SinkKind.POSTGRES_TABLES);

  /** Where a query writes, and how. */
  public enum SinkKind {
    /** Spark's Kafka writer (no foreachBatch: nothing of ours runs after a micro-batch's write). */
    KAFKA_TOPICS,
    /** A foreachBatch sink committing each micro-batch to the Delta table with its batch id as the transaction. */
    DELTA_TABLE,
    /** A foreachBatch sink upserting each micro-batch into Postgres tables. */
    POSTGRES_TABLES
  }

  private final String queryName;
  private final SinkKind sinkKind;

  Query(String queryName, SinkKind sinkKind) {
    this.queryName = queryName;
    this.sinkKind = sinkKind;
  }

  /** @return the query's name, e.g. {@code user-sessions} */
  public String queryName() {
    return queryName;
  }

  /** @return its checkpoint's directory under {@code ${CHECKPOINT_ROOT}}: the query's name */
  public String checkpointDirectory() {
    return queryName;
  }

  /** @return where it writes */
  public SinkKind sinkKind() {
    return sinkKind;
  }

  /** @return whether its sink is a foreachBatch function (every sink but Spark's Kafka writer) */
  public boolean foreachBatchSink() {
    return sinkKind != SinkKind.KAFKA_TOPICS;
  }

  @Override
  public String toString() {
    return queryName;
  }

  /** @return every query's name, in start order */
  public static List<String> names() {
    return Arrays.stream(values()).map(Query::queryName).toList();
  }

  /**
   * @param name a query's name, e.g. {@code analytics}
   * @return the query, or empty for any other text (another application's query on the same session)
   */
  public static Optional<Query> find(String name) {
    return Arrays.stream(values()).filter(q -> q.queryName.equals(name)).findFirst();
  }

  /**
   * @param name a query's name
   * @return the query
   * @throws IllegalArgumentException naming the known queries, for any other text
   */
  public static Query named(String name) {
    return find(name).orElseThrow(() -> new IllegalArgumentException("unknown query " + name + "; known: " + names()));
  }
}
