package dev.forkline.supervisor;

import dev.forkline.protocol.WorkerStats;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The supervisor's admin HTTP API (FORKLINE_ADMIN_HOST:FORKLINE_ADMIN_PORT, 127.0.0.1:9090 by
 * default): status, Prometheus metrics, health probes, and the operator's commands. Reads only the
 * published {@link Snapshot}; commands are enqueued for the supervisor's loop, which replies.
 *
 * <p>When FORKLINE_ADMIN_TOKEN is set, every request needs {@code Authorization: Bearer <token>}.
 */
final class AdminServer {
    /** The loop turns every 100 ms; this long without a turn means it is stuck. */
    private static final long LIVE_NANOS = TimeUnit.SECONDS.toNanos(5);

    private final Supervisor supervisor;
    private final Metrics metrics;
    private final byte[] expectedAuthorization;

    private AdminServer(Supervisor supervisor, Metrics metrics, String token) {
        this.supervisor = supervisor;
        this.metrics = metrics;
        this.expectedAuthorization = token.isEmpty() ? null : ("Bearer " + token).getBytes(StandardCharsets.UTF_8);
    }

    static Future<HttpServer> start(Vertx vertx, AdminConfig config, Supervisor supervisor) {
        AdminServer admin = new AdminServer(supervisor, new Metrics(supervisor::snapshot), config.token());
        return vertx.createHttpServer(new HttpServerOptions().setHost(config.host()).setPort(config.port()))
                .requestHandler(admin.router(vertx))
                .listen();
    }

    private Router router(Vertx vertx) {
        Router r = Router.router(vertx);
        if (expectedAuthorization != null) {
            r.route().handler(this::authorize);
        }
        r.get("/status").handler(ctx -> json(ctx, 200, status(supervisor.snapshot())));
        r.get("/metrics").handler(ctx -> ctx.response().putHeader("content-type", metrics.contentType())
                .end(metrics.scrape()));
        r.get("/healthz").handler(this::ready);
        r.get("/readyz").handler(this::ready);
        r.get("/livez").handler(this::live);
        r.post("/reload").handler(ctx -> command(ctx, new Event.Action.Reload(
                "true".equals(ctx.queryParams().get("wait")) || "1".equals(ctx.queryParams().get("wait")))));
        r.post("/workers").handler(this::scale);
        r.post("/stop").handler(ctx -> command(ctx, new Event.Action.Stop()));
        r.errorHandler(404, ctx -> error(ctx, 404, "no such endpoint: " + ctx.request().path()));
        r.errorHandler(405, ctx -> error(ctx, 405, ctx.request().method() + " is not allowed on " + ctx.request().path()));
        return r;
    }

    private void authorize(RoutingContext ctx) {
        String given = ctx.request().getHeader("Authorization");
        // Constant-time: the comparison must not tell an attacker how much of a guess was right.
        if (given != null && MessageDigest.isEqual(expectedAuthorization, given.getBytes(StandardCharsets.UTF_8))) {
            ctx.next();
        } else {
            ctx.response().putHeader("WWW-Authenticate", "Bearer realm=\"forkline\"");
            error(ctx, 401, "missing or wrong bearer token (FORKLINE_ADMIN_TOKEN)");
        }
    }

    private void ready(RoutingContext ctx) {
        Snapshot s = supervisor.snapshot();
        if (s.ready()) {
            ctx.response().putHeader("content-type", "text/plain").end("ok: " + s.desiredWorkers() + " workers ready\n");
        } else {
            String why = s.state().equals("stopping") ? "stopping" : String.join("; ", s.notReady());
            ctx.response().setStatusCode(503).putHeader("content-type", "text/plain").end("not ready: " + why + "\n");
        }
    }

    private void live(RoutingContext ctx) {
        long age = System.nanoTime() - supervisor.lastTurnNanos();
        if (age < LIVE_NANOS) {
            ctx.response().putHeader("content-type", "text/plain").end("ok\n");
        } else {
            ctx.response().setStatusCode(503).putHeader("content-type", "text/plain")
                    .end("the supervisor's loop has not turned for " + TimeUnit.NANOSECONDS.toMillis(age) + " ms\n");
        }
    }

    private void scale(RoutingContext ctx) {
        String count = ctx.queryParams().get("count");
        int n;
        try {
            n = Integer.parseInt(count == null ? "" : count.strip());
        } catch (NumberFormatException e) {
            error(ctx, 400, "count must be an integer from 1 to " + SupervisorConfig.MAX_WORKERS + ", not " + count);
            return;
        }
        command(ctx, new Event.Action.Scale(n));
    }

    private void command(RoutingContext ctx, Event.Action action) {
        CompletableFuture<String> reply = new CompletableFuture<>();
        supervisor.enqueue(new Event.Command(action, reply));
        reply.whenComplete((body, failure) -> ctx.vertx().runOnContext(v -> {
            if (failure == null) {
                ctx.response().putHeader("content-type", "application/json").end(body + "\n");
            } else {
                error(ctx, 409, failure.getMessage());
            }
        }));
    }

    private static void error(RoutingContext ctx, int status, String message) {
        json(ctx, status, new JsonObject().put("error", message));
    }

    private static void json(RoutingContext ctx, int status, JsonObject body) {
        ctx.response().setStatusCode(status).putHeader("content-type", "application/json")
                .end(body.encode() + "\n");
    }

    private static JsonObject restarts(Snapshot s) {
        JsonObject o = new JsonObject();
        new java.util.TreeMap<>(s.restartsByReason()).forEach(o::put);
        return o;
    }

    static JsonObject status(Snapshot s) {
        JsonArray workers = new JsonArray();
        long now = System.currentTimeMillis();
        for (Snapshot.Worker w : s.workers()) {
            JsonObject o = new JsonObject()
                    .put("slot", w.slot()).put("pid", w.pid()).put("generation", w.generation())
                    .put("state", w.state()).put("role", w.role())
                    .put("started_at", Instant.ofEpochMilli(w.startedEpochMillis()).toString())
                    .put("uptime_ms", now - w.startedEpochMillis())
                    .put("restarts", w.restarts()).put("last_exit", w.lastExit())
                    .put("heartbeat_age_ms", w.heartbeatAgeMillis() < 0 ? null : w.heartbeatAgeMillis());
            // Zero until the worker's first heartbeat.
            WorkerStats st = w.stats() != null ? w.stats() : new WorkerStats(w.pid(), w.slot(), w.generation(), 0, 0, 0, 0, 0, 0, 0);
            o.put("connections", st.connections()).put("accepted", st.accepted()).put("requests", st.requests())
                    .put("bytes_in", st.bytesIn()).put("bytes_out", st.bytesOut())
                    .put("http_requests", st.httpRequests());
            workers.add(o);
        }
        Snapshot.Totals t = s.totals();
        return new JsonObject()
                .put("pid", s.pid())
                .put("state", s.state())
                .put("listen", s.listen())
                .put("started_at", Instant.ofEpochMilli(s.startedEpochMillis()).toString())
                .put("uptime_ms", s.uptimeMillis())
                .put("generation", s.generation())
                .put("workers_desired", s.desiredWorkers())
                .put("ready", s.ready())
                .put("not_ready", new JsonArray(s.notReady()))
                .put("reloads", s.reloads())
                .put("restarts", restarts(s))
                .put("connections", s.openConnections())
                .put("totals", new JsonObject().put("accepted", t.accepted()).put("requests", t.requests())
                        .put("bytes_in", t.bytesIn()).put("bytes_out", t.bytesOut())
                        .put("http_requests", t.httpRequests()))
                .put("workers", workers);
    }
}
