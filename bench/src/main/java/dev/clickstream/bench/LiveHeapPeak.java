package dev.clickstream.bench;

import com.sun.management.GarbageCollectionNotificationInfo;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.management.MemoryUsage;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import javax.management.ListenerNotFoundException;
import javax.management.NotificationEmitter;
import javax.management.NotificationListener;
import javax.management.openmbean.CompositeData;

/**
 * The largest heap use right after a garbage collection while it runs: an upper bound of the reachable data
 * (Spark's state, caches, buffers; a young collection leaves old garbage in place), without the young garbage
 * a sampled peak also counts. From the JVM's GC notifications
 * ({@link GarbageCollectionNotificationInfo}, memory usage after GC summed over the heap pools).
 */
final class LiveHeapPeak {
  private final AtomicLong peak = new AtomicLong();
  private final List<Runnable> unsubscribe = new ArrayList<>();

  private LiveHeapPeak() {}

  /** @return a recorder that listens to every garbage collector from now on */
  static LiveHeapPeak start() {
    LiveHeapPeak recorder = new LiveHeapPeak();
    Set<String> heapPools = ManagementFactory.getMemoryPoolMXBeans().stream()
        .filter(p -> p.getType() == MemoryType.HEAP).map(MemoryPoolMXBean::getName).collect(Collectors.toSet());
    NotificationListener listener = (notification, handback) -> {
      if (GarbageCollectionNotificationInfo.GARBAGE_COLLECTION_NOTIFICATION.equals(notification.getType())) {
        GarbageCollectionNotificationInfo info = GarbageCollectionNotificationInfo.from((CompositeData) notification.getUserData());
        long after = info.getGcInfo().getMemoryUsageAfterGc().entrySet().stream()
            .filter(e -> heapPools.contains(e.getKey())).map(java.util.Map.Entry::getValue)
            .mapToLong(MemoryUsage::getUsed).sum();
        recorder.peak.accumulateAndGet(after, Math::max);
      }
    };
    for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
      if (gc instanceof NotificationEmitter emitter) {
        emitter.addNotificationListener(listener, null, null);
        recorder.unsubscribe.add(() -> {
          try {
            emitter.removeNotificationListener(listener);
          } catch (ListenerNotFoundException e) {
            // already gone
          }
        });
      }
    }
    return recorder;
  }

  /** @return the peak in bytes since {@link #start()} (0 when no collection ran); stops listening */
  long stop() {
    unsubscribe.forEach(Runnable::run);
    return peak.get();
  }
}
