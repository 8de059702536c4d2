package dev.forkline.supervisor;

import dev.forkline.config.WorkerConfig;
import dev.forkline.http.Methods;
import dev.forkline.logging.Log;
import dev.forkline.protocol.WorkerStats;
import io.vertx.core.http.HttpMethod;
import java.util.Map;
import java.util.Set;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
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
 * <p>When FORKLINE_ADMIN_TOKEN is set, every request but the probes needs
 * {@code Authorization: Bearer <token>}. The probes ({@code /livez}, {@code /healthz},
 * {@code /readyz}) stay open: an orchestrator's probe (kubelet's httpGet, a Docker HEALTHCHECK, a
 * load balancer) is configured in places that should not hold the token, and they tell only
 * whether the server is up and ready, as kube-apiserver's own probes do for unauthenticated callers.
 * The dashboard page and its files ({@link Dashboard}) stay open too: they hold no data, and the
 * page asks for the token itself.
 *
 * <p>Every GET resource answers HEAD; a known method a resource does not allow gets 405 with
 * {@code Allow}; CONNECT and a method this server does not know get 501 (RFC 9110 §9.1);
 * {@code OPTIONS *} gets 204 with {@code Allow} (RFC 9110 §9.3.7). Framing, Host,
 * versions and {@code Date} are handled below the router by {@link dev.forkline.http.HttpGuard}.
 */
final class AdminServer {
    /** The loop turns every 100 ms; this long without a turn means it is stuck. */
    private static final long LIVE_NANOS = TimeUnit.SECONDS.toNanos(5);

    private static final Log LOG = Log.get(AdminServer.class);

    private final SupervisorLoop supervisor;
    private final Metrics metrics;
    private final byte[] expectedAuthorization;
    private final Vertx vertx;
    private final HttpServerOptions options;
    private final Router router;
    /** The listening server, once {@link #listen} succeeded. */
    private volatile HttpServer server;

    private AdminServer(Vertx vertx, AdminConfig config, WorkerConfig.HttpLimits limits, SupervisorLoop supervisor) {
        this.supervisor = supervisor;
        this.metrics = new Metrics(supervisor::snapshot);
        this.expectedAuthorization = config.token().isEmpty() ? null
                : ("Bearer " + config.token()).getBytes(StandardCharsets.UTF_8);
        this.vertx = vertx;
        this.options = new HttpServerOptions().setHost(config.host()).setPort(config.port())
                .setHttp2ClearTextEnabled(false)
                .setMaxInitialLineLength(limits.maxRequestLine())
                .setMaxHeaderSize(limits.maxHeaderSize());
        this.router = router(vertx);
    }

    /** Each resource and the methods it allows (the {@code Allow} header of a 405). */
    private static final Map<String, String> ALLOW = Map.of(
            "/status", "GET, HEAD", "/metrics", "GET, HEAD", "/events", "GET, HEAD",
            "/healthz", "GET, HEAD", "/readyz", "GET, HEAD", "/livez", "GET, HEAD",
            "/reload", "POST", "/workers", "POST", "/stop", "POST");
    private static final Set<String> PROBES = Set.of("/livez", "/healthz", "/readyz");

    /** The admin API of {@code supervisor}, not listening yet. */
    static AdminServer create(Vertx vertx, AdminConfig config, WorkerConfig.HttpLimits limits, SupervisorLoop supervisor) {
        return new AdminServer(vertx, config, limits, supervisor);
    }

    /**
     * Binds the admin port; may be called again after a failure ({@code forkline takeover} retries
     * while the supervisor it replaces lets go of the port).
     */
    Future<HttpServer> listen() {
        return vertx.createHttpServer(options).requestHandler(serverWide(router)).listen().onSuccess(bound -> server = bound);
    }

    /**
     * What concerns the server rather than a resource, answered before the router (which answers a
     * request-target that is not a path, {@code *} or an authority, with its own 404): CONNECT and a
     * method this server does not know get 501 (RFC 9110 §9.1), {@code OPTIONS *} gets 204 with the
     * methods the server allows somewhere (RFC 9110 §9.3.7).
     */
    private static io.vertx.core.Handler<HttpServerRequest> serverWide(Router router) {
        return req -> {
            HttpMethod method = req.method();
            if (!Methods.implemented(method)) {
                json(req.response(), 501, new JsonObject().put("error", method + " is not a method this server implements"));
            } else if (method == HttpMethod.OPTIONS && req.uri().equals("*")) {
                req.response().setStatusCode(204).putHeader("Allow", "GET, HEAD, POST").end();
            } else {
                router.handle(req);
            }
        };
    }

    private Router router(Vertx vertx) {
        Router r = Router.router(vertx);
        // Before the token check: the page holds no data, and asks for the token itself.
        Dashboard.load().mount(r);
        if (expectedAuthorization != null) {
            r.route().handler(this::authorize);
        }
        get(r, "/status", ctx -> json(ctx, 200, status(supervisor.snapshot())));
        get(r, "/metrics", ctx -> ctx.response().putHeader("content-type", metrics.contentType())
                .end(metrics.scrape()));
        get(r, "/events", this::events);
        get(r, "/healthz", this::ready);
        get(r, "/readyz", this::ready);
        get(r, "/livez", this::live);
        r.post("/reload").handler(ctx -> command(ctx, new Event.Action.Reload(
                "true".equals(ctx.queryParams().get("wait")) || "1".equals(ctx.queryParams().get("wait")))));
        r.post("/workers").handler(this::scale);
        r.post("/stop").handler(this::stop);
        r.errorHandler(404, ctx -> error(ctx, 404, "no such endpoint: " + ctx.request().path()));
        r.errorHandler(405, ctx -> {
            String allow = ALLOW.get(ctx.request().path());
            if (allow != null) {
                ctx.response().putHeader("Allow", allow);
            }
            error(ctx, 405, ctx.request().method() + " is not allowed on " + ctx.request().path());
        });
        return r;
    }

    /** A GET resource, which answers HEAD too (RFC 9110 §9.3.2); Vert.x sends no body for HEAD. */
    private static void get(Router r, String path, io.vertx.core.Handler<RoutingContext> handler) {
        r.route(path).method(HttpMethod.GET).method(HttpMethod.HEAD).handler(handler);
    }

    private void authorize(RoutingContext ctx) {
        if (PROBES.contains(ctx.request().path())) {
            ctx.next();
            return;
        }
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
            n = -1;
        }
        // A count out of range is a bad request (400), whatever the state; 409 is kept for a
        // request the supervisor's state refuses (stopping).
        if (n < 1 || n > SupervisorConfig.MAX_WORKERS) {
            error(ctx, 400, "count must be an integer from 1 to " + SupervisorConfig.MAX_WORKERS + ", not " + count);
            return;
        }
        command(ctx, new Event.Action.Scale(n));
    }

    /**
     * {@code POST /stop}; {@code ?successor=PID} from a supervisor that takes this one over
     * ({@code forkline takeover}) and needs our admin port: we close our listener first, so that the
     * port is closed only for the moment the successor takes to bind it, and no probe sees this
     * supervisor stopping (503). This request is still answered: the HTTP guard keeps a connection
     * open until the answers it owes are written.
     */
    private void stop(RoutingContext ctx) {
        String successor = ctx.queryParams().get("successor");
        long pid = 0;
        if (successor != null) {
            try {
                pid = Long.parseLong(successor.strip());
            } catch (NumberFormatException e) {
                pid = -1;
            }
            if (pid <= 0) {
                error(ctx, 400, "successor must be a process id, not " + successor);
                return;
            }
            LOG.info("admin_handed_over").with("successor", pid)
                    .log("admin API closed: supervisor pid " + pid + " takes over and listens on its port from now on");
            server.shutdown(1, TimeUnit.SECONDS);
        }
        command(ctx, new Event.Action.Stop(pid));
    }

    private void command(RoutingContext ctx, Event.Action action) {
        CompletableFuture<String> reply = new CompletableFuture<>();
        supervisor.enqueue(new Event.Command(action, reply));
        reply.whenComplete((body, failure) -> ctx.vertx().runOnContext(v -> {
            if (failure == null) {
                ctx.response().putHeader("content-type", "application/json").end(body + "\n");
            } else {
                JsonObject error = new JsonObject().put("error", failure.getMessage());
                if (failure instanceof Event.Refused r && r.lastReload != null) {
                    error.put("last_reload", lastReload(r.lastReload));
                }
                json(ctx, 409, error);
            }
        }));
    }

    private static void error(RoutingContext ctx, int status, String message) {
        json(ctx, status, new JsonObject().put("error", message));
    }

    private static void json(RoutingContext ctx, int status, JsonObject body) {
        json(ctx.response(), status, body);
    }

    private static void json(HttpServerResponse res, int status, JsonObject body) {
        res.setStatusCode(status).putHeader("content-type", "application/json").end(body.encode() + "\n");
    }

    private static JsonObject restarts(Snapshot s) {
        JsonObject o = new JsonObject();
        new java.util.TreeMap<>(s.restartsByReason()).forEach(o::put);
        return o;
    }

    /** How the last reload ended: {@code {"generation":3,"outcome":"abandoned","reason":"...","slot":1,"at":"..."}}. */
    static JsonObject lastReload(Snapshot.LastReload r) {
        return new JsonObject().put("generation", r.generation() == 0 ? null : r.generation())
                .put("outcome", r.outcome()).put("reason", r.reason()).put("slot", r.slot())
                .put("at", Instant.ofEpochMilli(r.epochMillis()).toString());
    }

    static JsonObject status(Snapshot s) {
        JsonArray workers = new JsonArray();
        long now = System.currentTimeMillis();
        for (Snapshot.Worker w : s.workers()) {
            JsonObject o = new JsonObject()
                    .put("slot", w.slot() == Launcher.STANDBY ? null : w.slot()).put("pid", w.pid())
                    .put("generation", w.generation())
                    .put("state", w.state()).put("role", w.role())
                    .put("started_at", Instant.ofEpochMilli(w.startedEpochMillis()).toString())
                    .put("uptime_ms", now - w.startedEpochMillis())
                    .put("restarts", w.restarts()).put("last_exit", w.lastExit())
                    .put("heartbeat_age_ms", w.heartbeatAgeMillis() < 0 ? null : w.heartbeatAgeMillis());
            // Zero until the worker's first heartbeat.
            WorkerStats st = w.stats() != null ? w.stats() : new WorkerStats(w.pid(), w.slot(), w.generation(), 0, 0, 0, 0, 0, 0, 0, 0);
            o.put("connections", st.connections()).put("accepted", st.accepted()).put("requests", st.requests())
                    .put("bytes_in", st.bytesIn()).put("bytes_out", st.bytesOut())
                    .put("http_requests", st.httpRequests())
                    .put("resets", st.resets());
            runtimeFigures(o, w, st);
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
                .put("standby_desired", s.desiredStandby())
                .put("ready", s.ready())
                .put("not_ready", new JsonArray(s.notReady()))
                .put("reloads", s.reloads())
                .put("reloading_to", s.reloadingTo() == 0 ? null : s.reloadingTo())
                .put("last_reload", s.lastReload() == null ? null : lastReload(s.lastReload()))
                .put("restarts", restarts(s))
                .put("connections", s.openConnections())
                .put("totals", new JsonObject().put("accepted", t.accepted()).put("requests", t.requests())
                        .put("bytes_in", t.bytesIn()).put("bytes_out", t.bytesOut())
                        .put("http_requests", t.httpRequests()))
                .put("workers", workers)
                .put("reload", s.reload() == null ? null : new JsonObject().put("generation", s.reload().generation())
                        .put("done", s.reload().done()).put("slots", s.reload().slots()))
                .put("last_event", s.events().isEmpty() ? 0 : s.events().get(s.events().size() - 1).seq());
    }

    /**
     * The JVM's figures from the last heartbeat and the rates between the last two (for top and
     * the dashboard); null when unknown. {@code heartbeat_uptime_ms} is the worker's own clock when
     * it sent the counters shown.
     */
    private static void runtimeFigures(JsonObject o, Snapshot.Worker w, WorkerStats st) {
        WorkerStats.Jvm jvm = st.jvm();
        o.put("heartbeat_uptime_ms", w.stats() == null ? null : st.uptimeMillis())
                .put("heap_used", known(jvm.heapUsed())).put("heap_committed", known(jvm.heapCommitted()))
                .put("gc_count", known(jvm.gcCount())).put("gc_time_ms", known(jvm.gcMillis()))
                .put("cpu_time_ms", known(jvm.cpuMillis()));
        Rates r = w.rates() == null ? Rates.UNKNOWN : w.rates();
        o.put("rates", new JsonObject()
                .put("accepts_per_s", known(r.acceptsPerSecond())).put("requests_per_s", known(r.requestsPerSecond()))
                .put("bytes_in_per_s", known(r.bytesInPerSecond())).put("bytes_out_per_s", known(r.bytesOutPerSecond()))
                .put("gc_per_s", known(r.gcPerSecond())).put("cpu_percent", known(r.cpuPercent())));
    }

    private static Long known(long v) {
        return v < 0 ? null : v;
    }

    private static Double known(double v) {
        return v < 0 || Double.isNaN(v) || Double.isInfinite(v) ? null : Math.round(v * 10) / 10.0;
    }

    /** {@code GET /events?after=N}: the recent events numbered above N (all kept ones without it), oldest first. */
    private void events(RoutingContext ctx) {
        String after = ctx.queryParams().get("after");
        long since;
        try {
            since = after == null ? 0 : Long.parseLong(after.strip());
        } catch (NumberFormatException e) {
            since = -1;
        }
        if (since < 0) {
            error(ctx, 400, "after must be an event number (a non-negative integer), not " + after);
            return;
        }
        json(ctx, 200, events(supervisor.snapshot(), since));
    }

    static JsonObject events(Snapshot s, long after) {
        JsonArray list = new JsonArray();
        for (Timeline.Entry e : s.events()) {
            if (e.seq() > after) {
                list.add(new JsonObject().put("seq", e.seq())
                        .put("at", Instant.ofEpochMilli(e.epochMillis()).toString()).put("at_ms", e.epochMillis())
                        .put("kind", e.kind()).put("slot", e.slot() < 0 ? null : e.slot())
                        .put("pid", e.pid() < 0 ? null : e.pid()).put("generation", e.generation())
                        .put("message", e.message()));
            }
        }
        return new JsonObject().put("events", list)
                .put("last", s.events().isEmpty() ? 0 : s.events().get(s.events().size() - 1).seq());
    }
}
