package dev.forkline.supervisor;

import dev.forkline.protocol.WorkerStats;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.function.ObjDoubleConsumer;
import java.util.function.Supplier;
import java.util.function.ToDoubleFunction;
import java.util.function.ToLongFunction;

/**
 * The Prometheus metrics of the supervisor and its workers, computed at scrape time from the
 * latest {@link Snapshot} (Prometheus client_java callback metrics), so a replaced worker's series
 * simply stop being reported and nothing is double-counted.
 *
 * <p>Per-worker series carry the labels {@code slot} and {@code pid}; the totals include the last
 * counters of workers that have exited, so they never go back when a worker is replaced.
 */
final class Metrics {
    private static final String[] WORKER_LABELS = {"slot", "pid", "generation", "role"};

    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final PrometheusTextFormatWriter writer = PrometheusTextFormatWriter.create();
    private final Supplier<Snapshot> snapshot;

    Metrics(Supplier<Snapshot> snapshot) {
        this.snapshot = snapshot;
        workerGauge("forkline_worker_connections", "Connections open on the worker", WorkerStats::connections);
        workerCounter("forkline_worker_accepted_connections", "Connections the worker accepted", WorkerStats::accepted);
        workerCounter("forkline_worker_requests", "Request lines the worker answered", WorkerStats::requests);
        workerCounter("forkline_worker_bytes_in", "Bytes the worker read from clients at the socket (line protocol and HTTP)",
                WorkerStats::bytesIn);
        workerCounter("forkline_worker_bytes_out", "Bytes the worker wrote to clients at the socket (line protocol and HTTP)",
                WorkerStats::bytesOut);
        workerCounter("forkline_worker_http_requests", "HTTP requests the worker answered", WorkerStats::httpRequests);
        workerCounter("forkline_worker_client_resets", "Line connections the client reset (counted, not logged)",
                WorkerStats::resets);
        // The worker JVM's own figures (its MX beans), in base units; absent until the worker knows them.
        workerGauge("forkline_worker_heap_used_bytes", "Java heap in use in the worker (MemoryMXBean)",
                s -> s.jvm().heapUsed());
        workerGauge("forkline_worker_heap_committed_bytes", "Java heap committed by the worker's JVM (MemoryMXBean)",
                s -> s.jvm().heapCommitted());
        workerCounter("forkline_worker_gc_collections", "Garbage collections in the worker, all collectors",
                s -> s.jvm().gcCount());
        workerCounter("forkline_worker_gc_seconds", "Time the worker spent in garbage collection, all collectors",
                s -> s.jvm().gcMillis() < 0 ? -1 : s.jvm().gcMillis() / 1000.0);
        workerCounter("forkline_worker_cpu_seconds", "CPU time the worker process used (OperatingSystemMXBean)",
                s -> s.jvm().cpuMillis() < 0 ? -1 : s.jvm().cpuMillis() / 1000.0);
        GaugeWithCallback.builder().name("forkline_worker_heartbeat_age_seconds")
                .help("Time since the worker's last heartbeat").labelNames(WORKER_LABELS)
                .callback(cb -> snapshot.get().workers().forEach(w -> {
                    if (w.heartbeatAgeMillis() >= 0) {
                        cb.call(w.heartbeatAgeMillis() / 1000.0, labels(w));
                    }
                })).register(registry);

        GaugeWithCallback.builder().name("forkline_connections").help("Connections open on all workers")
                .callback(cb -> cb.call(snapshot.get().openConnections())).register(registry);
        totalCounter("forkline_accepted_connections", "Connections accepted by all workers, ever", Snapshot.Totals::accepted);
        totalCounter("forkline_requests", "Request lines answered by all workers, ever", Snapshot.Totals::requests);
        totalCounter("forkline_bytes_in", "Bytes read from clients by all workers, ever (line protocol and HTTP)",
                Snapshot.Totals::bytesIn);
        totalCounter("forkline_bytes_out", "Bytes written to clients by all workers, ever (line protocol and HTTP)",
                Snapshot.Totals::bytesOut);
        totalCounter("forkline_http_requests", "HTTP requests answered by all workers, ever", Snapshot.Totals::httpRequests);

        GaugeWithCallback.builder().name("forkline_workers_up").help("Workers ready and serving")
                .callback(cb -> cb.call(snapshot.get().workers().stream()
                        .filter(w -> w.role().equals("serving") && w.state().equals("ready")).count()))
                .register(registry);
        GaugeWithCallback.builder().name("forkline_workers_desired").help("Worker slots (FORKLINE_WORKERS, scaling)")
                .callback(cb -> cb.call(snapshot.get().desiredWorkers())).register(registry);
        GaugeWithCallback.builder().name("forkline_workers").help("Worker processes by state and role")
                .labelNames("state", "role")
                .callback(cb -> snapshot.get().workers().stream()
                        .collect(java.util.stream.Collectors.groupingBy(w -> w.state() + "\n" + w.role(),
                                java.util.stream.Collectors.counting()))
                        .forEach((k, n) -> cb.call(n, k.split("\n"))))
                .register(registry);
        CounterWithCallback.builder().name("forkline_worker_restarts").help("Workers respawned, by cause")
                .labelNames("reason")
                .callback(cb -> snapshot.get().restartsByReason().forEach((reason, n) -> cb.call(n, reason)))
                .register(registry);
        CounterWithCallback.builder().name("forkline_reloads").help("Reloads started (SIGHUP, POST /reload)")
                .callback(cb -> cb.call(snapshot.get().reloads())).register(registry);
        GaugeWithCallback.builder().name("forkline_generation").help("Worker generation (incremented by each reload)")
                .callback(cb -> cb.call(snapshot.get().generation())).register(registry);
        GaugeWithCallback.builder().name("forkline_supervisor_uptime_seconds").help("Time since the supervisor started")
                .callback(cb -> cb.call(snapshot.get().uptimeMillis() / 1000.0)).register(registry);
    }

    /** The Prometheus text exposition format (version 0.0.4). */
    String scrape() {
        ByteArrayOutputStream out = new ByteArrayOutputStream(8192);
        try {
            writer.write(out, registry.scrape());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toString(java.nio.charset.StandardCharsets.UTF_8);
    }

    String contentType() {
        return writer.getContentType();
    }

    private void workerGauge(String name, String help, ToDoubleFunction<WorkerStats> value) {
        GaugeWithCallback.builder().name(name).help(help).labelNames(WORKER_LABELS)
                .callback(cb -> eachKnown(value, (labels, v) -> cb.call(v, labels))).register(registry);
    }

    private void workerCounter(String name, String help, ToDoubleFunction<WorkerStats> value) {
        CounterWithCallback.builder().name(name).help(help).labelNames(WORKER_LABELS)
                .callback(cb -> eachKnown(value, (labels, v) -> cb.call(v, labels))).register(registry);
    }

    /**
     * Each worker's figure with its labels, for the workers that have sent a heartbeat and whose
     * figure is known: the JVM's figures are -1 until the worker has read its MX beans, and a
     * negative value from a worker is never exported (a counter must not go below zero).
     */
    private void eachKnown(ToDoubleFunction<WorkerStats> value, ObjDoubleConsumer<String[]> emit) {
        snapshot.get().workers().forEach(w -> {
            double v = w.stats() == null ? -1 : value.applyAsDouble(w.stats());
            if (v >= 0) {
                emit.accept(labels(w), v);
            }
        });
    }

    private void totalCounter(String name, String help, ToLongFunction<Snapshot.Totals> value) {
        CounterWithCallback.builder().name(name).help(help)
                .callback(cb -> cb.call(value.applyAsLong(snapshot.get().totals()))).register(registry);
    }

    private static String[] labels(Snapshot.Worker w) {
        return new String[] {Integer.toString(w.slot()), Long.toString(w.pid()), Integer.toString(w.generation()), w.role()};
    }
}
