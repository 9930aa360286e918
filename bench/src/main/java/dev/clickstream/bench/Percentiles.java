package dev.clickstream.bench;

import java.util.Arrays;

/**
 * Nearest-rank percentiles of a sample (the smallest value with at least p% of the sample at or below it).
 *
 * @param count sample size
 * @param p50 median
 * @param p95 95th percentile
 * @param p99 99th percentile
 * @param max largest value
 */
public record Percentiles(int count, long p50, long p95, long p99, long max) {
  /** No measurement (the run had no such output). */
  public static final Percentiles NONE = new Percentiles(0, 0, 0, 0, 0);

  /**
   * @param values the sample (any unit; it is not modified)
   * @return the percentiles
   * @throws IllegalArgumentException for an empty sample
   */
  public static Percentiles of(long[] values) {
    if (values.length == 0) {
      throw new IllegalArgumentException("no values");
    }
    long[] sorted = values.clone();
    Arrays.sort(sorted);
    return new Percentiles(sorted.length, rank(sorted, 50), rank(sorted, 95), rank(sorted, 99), sorted[sorted.length - 1]);
  }

  private static long rank(long[] sorted, double p) {
    int index = (int) Math.ceil(p / 100 * sorted.length) - 1;
    return sorted[Math.max(0, index)];
  }
}
