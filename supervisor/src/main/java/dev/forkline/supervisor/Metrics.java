package dev.forkline.supervisor;

import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.function.Supplier;
import java.util.function.ToDoubleFunction;
import java.util.function.ToLongFunction;

/**
 * The Prometheus metrics of the supervisor and its workers, computed at scrape time from the
 * latest {@link Snapshot} (Prometheus client_java callback metrics).
 *
 * <p>Per-worker counters are labelled by {@code slot} only, and count every process that has held
 * the slot: a respawn or a reload replaces the process, not the series, so {@code rate()} works
 * across them. Which process holds a slot now (pid, generation, role) is the info gauge
 * {@code forkline_worker_info}, one series per live worker, to join on {@code slot}. The totals
 * include the last counters of workers that have exited, so they never go back either.
 */
final class Metrics {
    private static final String[] INFO_LABELS = {"slot", "pid", "generation", "role"};

    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final PrometheusTextFormatWriter writer = PrometheusTextFormatWriter.create();
    private final Supplier<Snapshot> snapshot;

    Metrics(Supplier<Snapshot> snapshot) {
        this.snapshot = snapshot;
        GaugeWithCallback.builder().name("forkline_worker_info")
                .help("A live worker: the slot it holds (empty for a standby), its pid, generation and role"
                        + " (serving, incoming, standby, retiring)")
                .labelNames(INFO_LABELS)
                .callback(cb -> snapshot.get().workers().forEach(w -> cb.call(1, slotLabel(w),
                        Long.toString(w.pid()), Integer.toString(w.generation()), w.role())))
                .register(registry);
        GaugeWithCallback.builder().name("forkline_worker_connections").help("Connections open on the workers of the slot")
                .labelNames("slot")
                .callback(cb -> snapshot.get().workers().stream().filter(w -> w.slot() != Launcher.STANDBY)
                        .collect(java.util.stream.Collectors.groupingBy(
                                Snapshot.Worker::slot, java.util.TreeMap::new, java.util.stream.Collectors.summingLong(
                                        w -> w.stats() == null ? 0 : w.stats().connections())))
                        .forEach((slot, n) -> cb.call(n, Integer.toString(slot))))
                .register(registry);
        slotCounter("forkline_worker_accepted_connections", "Connections accepted by the slot's workers", Snapshot.Totals::accepted);
        slotCounter("forkline_worker_requests", "Request lines answered by the slot's workers", Snapshot.Totals::requests);
        slotCounter("forkline_worker_bytes_in", "Bytes read from clients at the socket (line protocol and HTTP) by the slot's workers",
                Snapshot.Totals::bytesIn);
        slotCounter("forkline_worker_bytes_out", "Bytes written to clients at the socket (line protocol and HTTP) by the slot's workers",
                Snapshot.Totals::bytesOut);
        slotCounter("forkline_worker_http_requests", "HTTP requests answered by the slot's workers", Snapshot.Totals::httpRequests);
        slotCounter("forkline_worker_client_resets", "Line connections the client reset (counted, not logged) on the slot's workers",
                Snapshot.Totals::resets);
        // The worker JVM's own figures (its MX beans), in base units: what the slot's processes used,
        // and the heap of the one serving it now.
        slotCounter("forkline_worker_gc_collections", "Garbage collections, all collectors, in the slot's workers",
                Snapshot.Totals::gcCount);
        slotCounter("forkline_worker_gc_seconds", "Time the slot's workers spent in garbage collection, all collectors",
                t -> t.gcMillis() / 1000.0);
        slotCounter("forkline_worker_cpu_seconds", "CPU time the slot's worker processes used (OperatingSystemMXBean)",
                t -> t.cpuMillis() / 1000.0);
        servingGauge("forkline_worker_heap_used_bytes", "Java heap in use in the slot's serving worker (MemoryMXBean)",
                w -> w.stats() == null ? -1 : w.stats().jvm().heapUsed());
        servingGauge("forkline_worker_heap_committed_bytes", "Java heap committed by the slot's serving worker's JVM (MemoryMXBean)",
                w -> w.stats() == null ? -1 : w.stats().jvm().heapCommitted());
        servingGauge("forkline_worker_heartbeat_age_seconds", "Time since the last heartbeat of the slot's serving worker",
                w -> w.heartbeatAgeMillis() < 0 ? -1 : w.heartbeatAgeMillis() / 1000.0);

        GaugeWithCallback.builder().name("forkline_connections").help("Connections open on all workers")
                .callback(cb -> cb.call(snapshot.get().openConnections())).register(registry);
        totalCounter("forkline_accepted_connections", "Connections accepted by all workers, ever", Snapshot.Totals::accepted);
        totalCounter("forkline_requests", "Request lines answered by all workers, ever", Snapshot.Totals::requests);
        totalCounter("forkline_bytes_in", "Bytes read from clients by all workers, ever", Snapshot.Totals::bytesIn);
        totalCounter("forkline_bytes_out", "Bytes written to clients by all workers, ever", Snapshot.Totals::bytesOut);
        totalCounter("forkline_http_requests", "HTTP requests answered by all workers, ever", Snapshot.Totals::httpRequests);

        GaugeWithCallback.builder().name("forkline_workers_up").help("Workers ready and serving")
                .callback(cb -> cb.call(snapshot.get().workers().stream()
                        .filter(w -> w.role().equals("serving") && w.state().equals("ready")).count()))
                .register(registry);
        GaugeWithCallback.builder().name("forkline_workers_desired").help("Worker slots (FORKLINE_WORKERS, scaling)")
                .callback(cb -> cb.call(snapshot.get().desiredWorkers())).register(registry);
        GaugeWithCallback.builder().name("forkline_standby_desired").help("Warm standbys wanted (FORKLINE_STANDBY)")
                .callback(cb -> cb.call(snapshot.get().desiredStandby())).register(registry);
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

    /** A standby holds no slot: an empty label (Prometheus reads it as no label). */
    private static String slotLabel(Snapshot.Worker w) {
        return w.slot() == Launcher.STANDBY ? "" : Integer.toString(w.slot());
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

    /** A counter by slot, over every process that has held the slot (never goes back). */
    private void slotCounter(String name, String help, ToDoubleFunction<Snapshot.Totals> value) {
        CounterWithCallback.builder().name(name).help(help + ", every process that held it").labelNames("slot")
                .callback(cb -> snapshot.get().slotTotals().forEach((slot, t) ->
                        cb.call(value.applyAsDouble(t), Integer.toString(slot))))
                .register(registry);
    }

    /**
     * A gauge by slot: the figure of the slot's serving worker, when known. A figure is -1 until
     * known (the JVM's until the worker has read its MX beans, after ready), and a negative value is
     * never exported.
     */
    private void servingGauge(String name, String help, ToDoubleFunction<Snapshot.Worker> value) {
        GaugeWithCallback.builder().name(name).help(help).labelNames("slot")
                .callback(cb -> snapshot.get().workers().forEach(w -> {
                    double v = w.role().equals("serving") ? value.applyAsDouble(w) : -1;
                    if (v >= 0) {
                        cb.call(v, Integer.toString(w.slot()));
                    }
                })).register(registry);
    }

    private void totalCounter(String name, String help, ToLongFunction<Snapshot.Totals> value) {
        CounterWithCallback.builder().name(name).help(help)
                .callback(cb -> cb.call(value.applyAsLong(snapshot.get().totals()))).register(registry);
    }
}
