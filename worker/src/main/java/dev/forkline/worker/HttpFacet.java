package dev.forkline.worker;

import dev.forkline.http.Methods;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;

/**
 * The seed is "a web server": the same answers over HTTP/1.1, with keep-alive and pipelining
 * (Vert.x's HTTP/1.1 server answers pipelined requests in order).
 *
 * <ul>
 *   <li>{@code GET /} → the worker's PID, text/plain;</li>
 *   <li>{@code GET /info} → the INFO JSON;</li>
 *   <li>another path → 404; {@code OPTIONS *} → 204 with {@code Allow: GET, HEAD}; another known
 *   method → 405 with {@code Allow}; CONNECT and a method this server does not know (case matters:
 *   {@code get}) → 501 (RFC 9110 §9.1).</li>
 * </ul>
 *
 * <p>Framing, Host, versions and the {@code Date} header are checked and added below this handler,
 * for every HTTP server of the worker, by {@link dev.forkline.http.HttpGuard}.
 */
final class HttpFacet implements Handler<HttpServerRequest> {
    private static final java.util.logging.Logger LOG = java.util.logging.Logger.getLogger(HttpFacet.class.getName());
    private static final CharSequence TEXT = HttpHeaders.createOptimized("text/plain; charset=utf-8");
    private static final CharSequence JSON = HttpHeaders.createOptimized("application/json");
    private static final CharSequence GET_HEAD = HttpHeaders.createOptimized("GET, HEAD");

    private final Answers answers;
    private final Counters counters;
    private final int maxConnections;

    HttpFacet(Answers answers, Counters counters, int maxConnections) {
        this.answers = answers;
        this.counters = counters;
        this.maxConnections = maxConnections;
    }

    /** FORKLINE_MAX_CONNECTIONS counts HTTP connections too; one more is closed, as nginx does. */
    void connected(HttpConnection connection) {
        counters.accepted++;
        if (counters.connections >= maxConnections) {
            connection.close();
            return;
        }
        counters.connections++;
        connection.closeHandler(v -> counters.connections--);
        // A reset is ordinary client behaviour: without a handler Vert.x logs each one as an error.
        connection.exceptionHandler(e -> {
            if (e instanceof java.io.IOException) {
                counters.resets++;
            }
            LOG.log(java.util.logging.Level.FINE, "HTTP connection error", e);
        });
    }

    @Override
    public void handle(HttpServerRequest req) {
        counters.httpRequests++;
        HttpServerResponse res = req.response();
        HttpMethod method = req.method();
        if (method != HttpMethod.GET && method != HttpMethod.HEAD) {
            if (!Methods.implemented(method)) {
                end(res.setStatusCode(501), method, answers.httpError(501));
                return;
            }
            if (method == HttpMethod.OPTIONS && req.uri().equals("*")) {
                // The server as a whole (RFC 9110 §9.3.7): what it allows, no content.
                res.setStatusCode(204).putHeader(HttpHeaders.ALLOW, GET_HEAD).end();
                return;
            }
            res.setStatusCode(405).putHeader(HttpHeaders.ALLOW, GET_HEAD);
            end(res, method, answers.httpError(405));
            return;
        }
        switch (req.path()) {
            case "/" -> end(res.putHeader(HttpHeaders.CONTENT_TYPE, TEXT), method, answers.httpPid());
            case "/info" -> end(res.putHeader(HttpHeaders.CONTENT_TYPE, JSON), method, answers.httpInfo());
            default -> end(res.setStatusCode(404), method, answers.httpError(404));
        }
    }

    private static void end(HttpServerResponse res, HttpMethod method, io.vertx.core.buffer.Buffer body) {
        if (method == HttpMethod.HEAD) {
            res.putHeader(HttpHeaders.CONTENT_LENGTH, Integer.toString(body.length())).end();
        } else {
            res.end(body);
        }
    }
}
