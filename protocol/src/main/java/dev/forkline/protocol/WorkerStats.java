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
 * @param bytesIn bytes read from clients since start
 * @param bytesOut bytes written to clients since start
 * @param httpRequests HTTP requests answered since start (the HTTP facet)
 * @param resets line connections the client reset (ECONNRESET, EPIPE) since start: ordinary traffic,
 *     counted here instead of logged
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
        long resets) {
}
