package dev.forkline.worker;

import dev.forkline.protocol.WorkerStats;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.lang.management.MemoryUsage;
import java.util.List;
import java.util.function.Consumer;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The worker JVM's own figures for the heartbeat (heap, garbage collection, CPU time), read from its
 * platform MX beans.
 *
 * <p>Not on the boot path: looking the beans up loads the platform-management classes, which cost
 * 30-150 ms of CPU on this 2-core machine (30-45 ms idle, up to 150 ms under load; measured with a
 * standalone JVM, SerialGC), a tenth to a third of a worker's whole boot. So a worker loads them on a
 * thread of their own once it is ready ({@link #loadInBackground}); until then its heartbeats carry
 * no figures. Reading them is cheap: 1-3 µs a sample for the three beans together (heap 0.3-0.4 µs,
 * both collectors 0.3-0.5 µs, process CPU time 1.5-2.5 µs), once a heartbeat. The CPU time comes
 * from the bean, not from {@code ProcessHandle.info()}, which reads /proc at 110-140 µs a call.
 */
final class JvmFigures {
    private static final Logger LOG = Logger.getLogger(JvmFigures.class.getName());

    private final MemoryMXBean memory;
    private final List<GarbageCollectorMXBean> collectors;
    /** HotSpot's extension of the bean; null on a JVM without it (then CPU time stays unknown). */
    private final com.sun.management.OperatingSystemMXBean os;

    JvmFigures() {
        memory = ManagementFactory.getMemoryMXBean();
        collectors = List.copyOf(ManagementFactory.getGarbageCollectorMXBeans());
        os = ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean o ? o : null;
    }

    /** Looks the beans up on a daemon thread of its own and hands them over when done. */
    static void loadInBackground(Consumer<JvmFigures> loaded) {
        Thread t = new Thread(() -> {
            try {
                long start = System.nanoTime();
                loaded.accept(new JvmFigures());
                LOG.fine(() -> "MX beans looked up in " + (System.nanoTime() - start) / 1_000_000 + " ms");
            } catch (RuntimeException | LinkageError e) {
                // The heartbeat goes on without figures: they are for people, the counters matter more.
                LOG.log(Level.WARNING, "cannot read the JVM's MX beans; heartbeats carry no heap/GC/CPU figures", e);
            }
        }, "forkline-jvm-figures");
        t.setDaemon(true);
        t.start();
    }

    /** One reading; safe from any thread. */
    WorkerStats.Jvm sample() {
        MemoryUsage heap = memory.getHeapMemoryUsage();
        long count = 0;
        long millis = 0;
        for (GarbageCollectorMXBean gc : collectors) {
            // -1 when a collector does not know: keep what the others know.
            count += Math.max(0, gc.getCollectionCount());
            millis += Math.max(0, gc.getCollectionTime());
        }
        long cpuNanos = os == null ? -1 : os.getProcessCpuTime();
        return new WorkerStats.Jvm(heap.getUsed(), heap.getCommitted(), count, millis,
                cpuNanos < 0 ? -1 : cpuNanos / 1_000_000);
    }
}
