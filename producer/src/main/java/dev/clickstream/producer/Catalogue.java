package dev.clickstream.producer;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.Random;

/**
 * A web shop's product catalogue for generated traffic: {@code size} products ({@code p-0001} ...) spread over the
 * {@link #CATEGORIES}, each with a unit price drawn from a log-normal distribution (median {@link #MEDIAN_PRICE},
 * sigma {@link #PRICE_SIGMA}: most items cost 10-100, a few several hundred), rounded to cents; popularity is
 * Zipf-like (weight 1/rank^1.1, as the pages'). The same seed gives the same catalogue.
 */
public final class Catalogue {
  /** The shop's twelve categories. */
  public static final String[] CATEGORIES = {"books", "electronics", "fashion", "shoes", "home", "garden", "toys",
      "sports", "beauty", "grocery", "music", "games"};
  /** Median unit price. */
  public static final double MEDIAN_PRICE = 30.0;
  /** Standard deviation of the price's natural logarithm. */
  public static final double PRICE_SIGMA = 0.9;

  /** One product. */
  public record Product(String id, String category, BigDecimal price) {
    /** @return its page, e.g. {@code /product/p-0042} */
    public String pageUrl() {
      return "/product/" + id;
    }
  }

  private final Product[] products;
  private final double[] cumulativeWeights;

  /**
   * @param size number of products, at least 1
   * @param seed random seed
   * @throws IllegalArgumentException when size &lt; 1
   */
  public Catalogue(int size, long seed) {
    if (size < 1) {
      throw new IllegalArgumentException("a catalogue needs at least 1 product");
    }
    Random random = new Random(seed ^ 0x5DEECE66DL);
    products = new Product[size];
    for (int i = 0; i < size; i++) {
      double price = MEDIAN_PRICE * Math.exp(PRICE_SIGMA * random.nextGaussian());
      products[i] = new Product(String.format("p-%04d", i + 1), CATEGORIES[random.nextInt(CATEGORIES.length)],
          BigDecimal.valueOf(Math.max(0.5, price)).setScale(2, RoundingMode.HALF_UP));
    }
    cumulativeWeights = zipfCumulative(size);
  }

  /** @return the number of products */
  public int size() {
    return products.length;
  }

  /**
   * @param index 0-based
   * @return that product
   */
  public Product get(int index) {
    return products[index];
  }

  /**
   * @param random the generator's random source
   * @return a product, the popular ones more often
   */
  public Product pick(Random random) {
    return products[pickIndex(cumulativeWeights, random)];
  }

  /**
   * @param n number of items, ranked
   * @return cumulative Zipf-like weights 1/rank^1.1, for {@link #pickIndex}
   */
  static double[] zipfCumulative(int n) {
    double[] cumulative = new double[n];
    double sum = 0;
    for (int rank = 1; rank <= n; rank++) {
      sum += 1.0 / Math.pow(rank, 1.1);
      cumulative[rank - 1] = sum;
    }
    return cumulative;
  }

  /**
   * @param cumulative cumulative weights
   * @param random the random source
   * @return an index drawn with those weights
   */
  static int pickIndex(double[] cumulative, Random random) {
    double x = random.nextDouble() * cumulative[cumulative.length - 1];
    int lo = 0;
    int hi = cumulative.length - 1;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (cumulative[mid] < x) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  }
}
