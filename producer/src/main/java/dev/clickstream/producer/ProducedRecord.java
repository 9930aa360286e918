package dev.clickstream.producer;

/**
 * One record as it goes to Kafka, with what the generator intended, so tests can build an oracle.
 *
 * @param key Kafka key (the user id)
 * @param value Kafka value: contract JSON, or a deliberately malformed text
 * @param kind on time, late, malformed, or a resend of an earlier valid record ({@code --duplicate-every})
 * @param event the event; for a malformed record the valid event it was derived from
 * @param malformedKind the kind of damage for a malformed record, else null
 */
public record ProducedRecord(String key, String value, Kind kind, UserActivityEvent event, MalformedKind malformedKind) {
  /** What the generator meant this record to be. */
  public enum Kind { ON_TIME, LATE, MALFORMED, RESENT }

  /** @return whether the record satisfies the contract (on time, late, or a resend of such a record) */
  public boolean isValid() {
    return kind != Kind.MALFORMED;
  }
}
