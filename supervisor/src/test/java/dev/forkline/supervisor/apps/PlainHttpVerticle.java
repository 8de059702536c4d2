package dev.forkline.supervisor.apps;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import java.util.Set;

/**
 * An application's HTTP server as most are written: {@code createHttpServer()} with default options
 * (HTTP/2 cleartext on, Vert.x's limits) on config {@code port}. It answers as the conformance table
 * expects every server to: GET and HEAD 200, OPTIONS * 204 with Allow, CONNECT (it is no proxy) and a
 * method it does not know 501, another method 405 with Allow. Framing, Host, versions and Date are
 * Forkline's (its HTTP guard), not this code's.
 */
public class PlainHttpVerticle extends VerticleBase {
    private static final Set<HttpMethod> KNOWN = Set.copyOf(HttpMethod.values());

    @Override
    public Future<?> start() {
        return vertx.createHttpServer().requestHandler(this::handle)
                .listen(config().getInteger("port"), config().getString("host", "127.0.0.1"));
    }

    private void handle(HttpServerRequest req) {
        HttpMethod method = req.method();
        if (method == HttpMethod.GET || method == HttpMethod.HEAD) {
            req.response().putHeader("content-type", "text/plain").end("ok\n");
        } else if (method == HttpMethod.OPTIONS && req.uri().equals("*")) {
            req.response().setStatusCode(204).putHeader("allow", "GET, HEAD").end();
        } else if (method == HttpMethod.CONNECT || !KNOWN.contains(method)) {
            req.response().setStatusCode(501).end("not implemented\n");
        } else {
            req.response().setStatusCode(405).putHeader("allow", "GET, HEAD").end("method not allowed\n");
        }
    }
}
