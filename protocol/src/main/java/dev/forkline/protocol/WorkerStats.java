package dev.forkline.protocol;

/**
 * A worker's identity and counters: the body of the {@code INFO} response and of every heartbeat.
 *
 * @param pid the worker's process id
 * @param slot the worker's slot, 0 .. workers-1; a respawned worker keeps its slot
 * @param generation incremented by each reload; a respawn after a crash keeps the generation
 * @param uptimeMillis time since the worker process started
 * @param connections connections open now (line protocol and HTTP)
 * @param accepted connections accepted since start (including those refused with {@code ERR busy})
 * @param requests request lines answered since start (line protocol)
 * @param bytesIn bytes read from clients since start, line protocol and HTTP
 * @param bytesOut bytes written to clients since start, line protocol and HTTP
 * @param httpRequests HTTP requests answered since start (the HTTP facet)
 * @param resets line connections the client reset (ECONNRESET, EPIPE) since start: ordinary traffic,
 *     counted here instead of logged
 * @param jvm the worker JVM's own figures (heap, GC, CPU), each -1 while unknown
 */
public record WorkerStats(
        long pid,
        int slot,
        int generation,
        long uptimeMillis,
        long connections,
        long accepted,
        long requests,
        long bytesIn,
        long bytesOut,
        long httpRequests,
        long resets,
        Jvm jvm) {

    public WorkerStats {
        jvm = jvm == null ? Jvm.UNKNOWN : jvm;
    }

    /** Counters only, the JVM's figures not (yet) known. */
    public WorkerStats(long pid, int slot, int generation, long uptimeMillis, long connections, long accepted,
                       long requests, long bytesIn, long bytesOut, long httpRequests, long resets) {
        this(pid, slot, generation, uptimeMillis, connections, accepted, requests, bytesIn, bytesOut, httpRequests,
                resets, Jvm.UNKNOWN);
    }

    /**
     * What the worker's JVM says of itself through its platform MX beans. Every figure is -1 while
     * unknown: the worker reads the beans only after it is ready (they are not on its boot path), and
     * a figure a worker sent that is not a non-negative integer is read as unknown.
     *
     * @param heapUsed bytes of heap in use (MemoryMXBean)
     * @param heapCommitted bytes of heap committed by the JVM (MemoryMXBean)
     * @param gcCount garbage collections since start, all collectors (GarbageCollectorMXBean)
     * @param gcMillis time spent in garbage collection since start, all collectors
     * @param cpuMillis CPU time the whole process used since start (OperatingSystemMXBean)
     */
    public record Jvm(long heapUsed, long heapCommitted, long gcCount, long gcMillis, long cpuMillis) {
        public static final Jvm UNKNOWN = new Jvm(-1, -1, -1, -1, -1);

        public Jvm {
            heapUsed = known(heapUsed);
            heapCommitted = known(heapCommitted);
            gcCount = known(gcCount);
            gcMillis = known(gcMillis);
            cpuMillis = known(cpuMillis);
        }

        private static long known(long v) {
            return v < 0 ? -1 : v;
        }
    }
}
