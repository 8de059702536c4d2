package dev.forkline.supervisor;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.Properties;

/**
 * The dashboard page of the admin API ({@code GET /}): one HTML page, its script and style, and
 * its one chart library (uPlot, from its WebJar), all inside the jar: no CDN, so it works on hosts
 * without internet. Read from the class path once, at start, and served from memory.
 *
 * <p>The page and its files hold no data and need no token: the page asks for the token, keeps
 * it in the browser's storage and sends it with each call to {@code /status} and {@code /events},
 * which need it like every other data route. The strict Content-Security-Policy allows only this
 * origin's own scripts and styles, and the page in no frame.
 */
final class Dashboard {
    private static final String UPLOT = "/META-INF/resources/webjars/uplot/%s/dist/%s";
    private static final String CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:;"
            + " connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    private record Asset(String contentType, Buffer body) {
    }

    private final Map<String, Asset> assets;

    private Dashboard(Map<String, Asset> assets) {
        this.assets = assets;
    }

    /** Loads the files; fails at start, not at the first request, if the jar lacks one. */
    static Dashboard load() {
        String uplot = uplotVersion();
        return new Dashboard(Map.of(
                "/", asset("/dev/forkline/supervisor/dashboard/index.html", "text/html; charset=utf-8"),
                "/dashboard/dashboard.js", asset("/dev/forkline/supervisor/dashboard/dashboard.js", "text/javascript; charset=utf-8"),
                "/dashboard/dashboard.css", asset("/dev/forkline/supervisor/dashboard/dashboard.css", "text/css; charset=utf-8"),
                "/dashboard/uPlot.iife.min.js", asset(String.format(UPLOT, uplot, "uPlot.iife.min.js"), "text/javascript; charset=utf-8"),
                "/dashboard/uPlot.min.css", asset(String.format(UPLOT, uplot, "uPlot.min.css"), "text/css; charset=utf-8")));
    }

    /**
     * Routes for the page and its files; mount before the token check (they hold no data). GET and
     * HEAD (Vert.x sends no body for HEAD); another method gets 405 with {@code Allow}.
     */
    void mount(Router r) {
        for (String path : assets.keySet()) {
            r.route(path).method(HttpMethod.GET).method(HttpMethod.HEAD).handler(this::serve);
            r.route(path).handler(ctx -> ctx.response().setStatusCode(405).putHeader("allow", "GET, HEAD")
                    .putHeader("content-type", "application/json")
                    .end(new JsonObject().put("error", ctx.request().method() + " is not allowed on " + path).encode()
                            + "\n"));
        }
    }

    private void serve(RoutingContext ctx) {
        Asset a = assets.get(ctx.request().path());
        ctx.response()
                .putHeader("content-type", a.contentType())
                .putHeader("cache-control", "no-cache")
                .putHeader("x-content-type-options", "nosniff")
                .putHeader("referrer-policy", "no-referrer")
                .putHeader("content-security-policy", CSP)
                .end(a.body());
    }

    /** The WebJar's own record of its version, so a version bump in the POM needs no change here. */
    private static String uplotVersion() {
        Properties p = new Properties();
        try (InputStream in = Dashboard.class.getResourceAsStream("/META-INF/maven/org.webjars.npm/uplot/pom.properties")) {
            if (in == null) {
                throw new IllegalStateException("the uPlot WebJar is missing from the class path");
            }
            p.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return p.getProperty("version");
    }

    private static Asset asset(String resource, String contentType) {
        try (InputStream in = Dashboard.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("dashboard file missing from the jar: " + resource);
            }
            return new Asset(contentType, Buffer.buffer(in.readAllBytes()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
