package dev.forkline.worker;

import dev.forkline.protocol.WorkerStats;

/**
 * The worker's counters. Only the event loop touches them (there is exactly one), so they are
 * plain fields: no atomics on the hot path.
 */
final class Counters {
    long connections;
    long accepted;
    long requests;
    long bytesIn;
    long bytesOut;
    long httpRequests;
    /** Connections the client reset (ECONNRESET, EPIPE): ordinary traffic, counted instead of logged. */
    long resets;
    /** The JVM's own figures, once loaded after ready (off the boot path); null until then. */
    volatile JvmFigures jvm;

    WorkerStats snapshot(WorkerIdentity id) {
        JvmFigures figures = jvm;
        return new WorkerStats(id.pid(), id.slot(), id.generation(), id.uptimeMillis(),
                connections, accepted, requests, bytesIn, bytesOut, httpRequests, resets,
                figures == null ? WorkerStats.Jvm.UNKNOWN : figures.sample());
    }
}
