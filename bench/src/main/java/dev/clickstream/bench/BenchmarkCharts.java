package dev.clickstream.bench;

import java.awt.Color;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.ValueMarker;
import org.jfree.data.category.DefaultCategoryDataset;

/**
 * The report's two charts, PNG, drawn with JFreeChart without a display ({@code java.awt.headless=true}).
 */
final class BenchmarkCharts {
  private BenchmarkCharts() {}

  /**
   * Events/s of each run as a fraction of the ceiling: horizontal bars, one per run.
   *
   * @param throughput run name -> events/s, with the ceiling among them
   * @param ceiling the ceiling's run name
   * @param png where to write it
   * @throws IOException when the file cannot be written
   */
  static void throughput(Map<String, Double> throughput, String ceiling, Path png) throws IOException {
    System.setProperty("java.awt.headless", "true");
    Double top = throughput.get(ceiling);
    DefaultCategoryDataset data = new DefaultCategoryDataset();
    throughput.forEach((run, rate) -> data.addValue(top == null ? rate : rate / top, top == null ? "events/s" : "ratio", run));
    JFreeChart chart = ChartFactory.createBarChart("Events/s against the plain-consumer ceiling", null,
        top == null ? "events/s" : "fraction of the ceiling (" + String.format("%,.0f", top) + " events/s)", data,
        PlotOrientation.HORIZONTAL, false, false, false);
    chart.getCategoryPlot().getRenderer().setSeriesPaint(0, new Color(0x3b6ea5));
    ChartUtils.saveChartAsPNG(png.toFile(), chart, 900, 60 + 36 * throughput.size());
  }

  /**
   * Latency percentiles per input rate and ingest mode: grouped bars p50 / p95 / p99 for enriched_activity and for
   * Postgres, on a logarithmic axis, with the trigger interval as a line.
   *
   * @param latencies one result per rate
   * @param trigger the trigger interval of those runs
   * @param png where to write it
   * @throws IOException when the file cannot be written
   */
  static void latency(List<LatencyBenchmark.Result> latencies, Duration trigger, Path png) throws IOException {
    System.setProperty("java.awt.headless", "true");
    DefaultCategoryDataset data = new DefaultCategoryDataset();
    for (LatencyBenchmark.Result r : latencies) {
      add(data, r.enrichedMs(), String.format("%,d events/s, %s: enriched", r.rate(), r.label()));
      if (r.postgresMs().count() > 0) {
        add(data, r.postgresMs(), String.format("%,d events/s, %s: Postgres", r.rate(), r.label()));
      }
    }
    JFreeChart chart = ChartFactory.createBarChart("Latency from the source record's Kafka timestamp", null, "seconds",
        data, PlotOrientation.VERTICAL, true, false, false);
    chart.getCategoryPlot().getDomainAxis().setMaximumCategoryLabelLines(4); // "20,000 events/s," over "micro-batch:" ...
    // real-time mode's milliseconds and micro-batch's tens of seconds on one chart: a logarithmic axis from 1 ms
    org.jfree.chart.axis.LogAxis seconds = new org.jfree.chart.axis.LogAxis("seconds (log scale)");
    seconds.setSmallestValue(0.001);
    seconds.setBase(10);
    seconds.setNumberFormatOverride(new java.text.DecimalFormat("0.###")); // 0.001 ... 100, not 10^x
    chart.getCategoryPlot().setRangeAxis(seconds);
    chart.getCategoryPlot().addRangeMarker(new ValueMarker(trigger.toMillis() / 1000.0, Color.GRAY, new java.awt.BasicStroke(1.5f)));
    ChartUtils.saveChartAsPNG(png.toFile(), chart, Math.max(900, 150 * data.getColumnCount()), 560);
  }

  private static void add(DefaultCategoryDataset data, Percentiles p, String category) {
    data.addValue(p.p50() / 1000.0, "p50", category);
    data.addValue(p.p95() / 1000.0, "p95", category);
    data.addValue(p.p99() / 1000.0, "p99", category);
  }
}
