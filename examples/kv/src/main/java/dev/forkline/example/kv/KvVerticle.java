package dev.forkline.example.kv;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.logging.Logger;

/**
 * A small key-value store over HTTP and JSON: an ordinary Vert.x verticle that knows nothing of
 * Forkline. Run in N worker processes, each process has its own store (as each Gunicorn or PM2
 * worker has its own memory), and every answer says which process gave it.
 *
 * <pre>
 * GET    /               what and which version, from which process
 * PUT    /kv/{key}       store the request body (at most maxValueBytes) → 201, or 200 when replaced
 * GET    /kv/{key}       → 200 {"key","value","pid"}, or 404 when this process does not hold it
 * DELETE /kv/{key}       → 204, or 404
 * GET    /info           → {"pid","version","uptime_ms","keys","requests"}
 * </pre>
 *
 * <p>config(): {@code port} (8081), {@code host} (0.0.0.0), {@code maxKeys} (10000, least recently
 * used evicted), {@code maxValueBytes} (65536).
 */
public class KvVerticle extends VerticleBase {
    private static final Logger LOG = Logger.getLogger(KvVerticle.class.getName());

    private final long pid = ProcessHandle.current().pid();
    private final long startedMillis = System.currentTimeMillis();
    private Map<String, String> store;
    private String version;
    private long requests;

    @Override
    public Future<?> start() {
        JsonObject config = config();
        int port = config.getInteger("port", 8081);
        String host = config.getString("host", "0.0.0.0");
        int maxKeys = config.getInteger("maxKeys", 10_000);
        long maxValueBytes = config.getLong("maxValueBytes", 65_536L);
        if (port < 0 || port > 65535 || maxKeys < 1 || maxValueBytes < 1) {
            return Future.failedFuture(new IllegalArgumentException(
                    "config: port must be 0-65535, maxKeys and maxValueBytes at least 1; got " + config.encode()));
        }
        // From the jar's manifest (Implementation-Version), so a redeploy shows in every answer.
        String v = KvVerticle.class.getPackage().getImplementationVersion();
        version = v != null ? v : "dev";
        store = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, String> eldest) {
                return size() > maxKeys;
            }
        };

        Router router = Router.router(vertx);
        router.route().handler(ctx -> {
            requests++;
            ctx.next();
        });
        router.get("/").handler(ctx -> ctx.response().putHeader("content-type", "text/plain; charset=utf-8")
                .end("forkline example kv " + version + " from pid " + pid + "\n"));
        router.get("/info").handler(ctx -> json(ctx, 200, new JsonObject()
                .put("pid", pid).put("version", version).put("uptime_ms", System.currentTimeMillis() - startedMillis)
                .put("keys", store.size()).put("requests", requests)));
        router.put("/kv/:key").handler(BodyHandler.create().setBodyLimit(maxValueBytes)).handler(this::put);
        router.get("/kv/:key").handler(this::get);
        router.delete("/kv/:key").handler(this::delete);

        HttpServer server = vertx.createHttpServer().requestHandler(router);
        return server.listen(port, host)
                .onSuccess(s -> LOG.info("kv " + version + " listening on " + host + ":" + s.actualPort()));
    }

    @Override
    public Future<?> stop() {
        LOG.info("kv " + version + " stopping; " + store.size() + " keys of this process go with it");
        return Future.succeededFuture();
    }

    private void put(RoutingContext ctx) {
        String key = ctx.pathParam("key");
        boolean replaced = store.put(key, ctx.body().asString()) != null;
        json(ctx, replaced ? 200 : 201, new JsonObject().put("key", key).put("pid", pid));
    }

    private void get(RoutingContext ctx) {
        String key = ctx.pathParam("key");
        String value = store.get(key);
        if (value == null) {
            json(ctx, 404, missing(key));
        } else {
            json(ctx, 200, new JsonObject().put("key", key).put("value", value).put("pid", pid));
        }
    }

    private void delete(RoutingContext ctx) {
        String key = ctx.pathParam("key");
        if (store.remove(key) == null) {
            json(ctx, 404, missing(key));
        } else {
            ctx.response().setStatusCode(204).end();
        }
    }

    private JsonObject missing(String key) {
        return new JsonObject().put("error", "no key \"" + key + "\" in process " + pid
                + " (each worker process has its own store)").put("pid", pid);
    }

    private static void json(RoutingContext ctx, int status, JsonObject body) {
        ctx.response().setStatusCode(status).putHeader("content-type", "application/json").end(body.encode() + "\n");
    }
}
