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

    WorkerStats snapshot(WorkerIdentity id) {
        return new WorkerStats(id.pid(), id.slot(), id.generation(), id.uptimeMillis(),
                connections, accepted, requests, bytesIn, bytesOut, httpRequests, resets);
    }
}
