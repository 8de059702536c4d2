package dev.forkline.supervisor;

import dev.forkline.testkit.FreePorts;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import dev.forkline.supervisor.apps.PlainHttpVerticle;
import dev.forkline.supervisor.apps.TestApps;
import dev.forkline.testkit.ForklineProcess;
import dev.forkline.testkit.HttpConformance.Case;
import dev.forkline.testkit.HttpConformance.Response;
import dev.forkline.testkit.HttpConformance;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The HTTP/1.1 conformance table (testkit's {@code http-conformance.txt}): raw request bytes → the
 * statuses the RFC names and whether the server closes the connection, run over raw sockets against
 * the real jar, on every kind of HTTP server the guard (HttpGuard) sits in front of: the worker's HTTP
 * facet with HTTP/2 cleartext off (the default) and on (FORKLINE_HTTP2=true: Vert.x's preface
 * detector is then behind the guard), the supervisor's admin API, and an application's HttpServer
 * created with default options (HTTP/2 cleartext on, Vert.x's limits). Black-box: only the bytes on
 * the wire count. Also the size limits' settings, small, on the facet and the admin API, and Date on
 * HTTP/2 answers where HTTP/2 cleartext is on.
 */
class HttpConformanceIT {
    /** FORKLINE_HTTP_MAX_REQUEST_LINE and FORKLINE_HTTP_MAX_HEADER_SIZE at their smallest. */
    private static final int SMALL_LINE = 64;
    private static final int SMALL_HEADERS = 256;

    @TempDir
    static Path dir;
    private static ForklineProcess plain;
    private static ForklineProcess http2;
    private static ForklineProcess app;
    private static ForklineProcess small;
    private static int appPort;

    /** A server under test: where it listens, a GET/HEAD resource of it, and whether HTTP/2 cleartext is on. */
    enum Server {
        FACET("/", false), FACET_H2C("/", true), ADMIN("/livez", false), APP("/", true);

        final String path;
        final boolean h2c;

        Server(String path, boolean h2c) {
            this.path = path;
            this.h2c = h2c;
        }

        int port() {
            return switch (this) {
                case FACET -> plain.httpPort;
                case FACET_H2C -> http2.httpPort;
                case ADMIN -> plain.adminPort;
                case APP -> appPort;
            };
        }

        boolean runs(Case c) {
            return !(c.only().contains(HttpConformance.ONLY_ADMIN) && this != ADMIN
                    || c.only().contains(HttpConformance.ONLY_H2C_OFF) && h2c);
        }
    }

    @BeforeAll
    static void start() throws Exception {
        appPort = FreePorts.next();
        Path config = TestApps.config(dir, "app.json", new JsonObject().put("port", appPort));
        // Four supervisors with one worker each, booting side by side.
        plain = ForklineProcess.start(Map.of("FORKLINE_WORKERS", "1"));
        http2 = ForklineProcess.start(Map.of("FORKLINE_WORKERS", "1", "FORKLINE_HTTP2", "true"));
        app = ForklineProcess.start(Map.of("FORKLINE_WORKERS", "1",
                "FORKLINE_APP", TestApps.jar(dir, "app.jar", PlainHttpVerticle.class).toString(),
                "FORKLINE_APP_CONFIG", config.toString()));
        small = ForklineProcess.start(Map.of("FORKLINE_WORKERS", "1",
                "FORKLINE_HTTP_MAX_REQUEST_LINE", Integer.toString(SMALL_LINE),
                "FORKLINE_HTTP_MAX_HEADER_SIZE", Integer.toString(SMALL_HEADERS)));
        for (ForklineProcess p : List.of(plain, http2, app, small)) {
            p.awaitAllReady();
        }
    }

    @AfterAll
    static void stop() {
        for (ForklineProcess p : new ForklineProcess[] {plain, http2, app, small}) {
            if (p != null) {
                p.close();
            }
        }
    }

    static Stream<Arguments> cases() {
        List<Arguments> all = new ArrayList<>();
        for (Case c : HttpConformance.table()) {
            for (Server s : Server.values()) {
                if (s.runs(c)) {
                    all.add(Arguments.of(s, c));
                }
            }
        }
        return all.stream();
    }

    @Test
    void theTableHasEveryRowOfIssue11AndCitesAnRfcForEachCase() {
        List<Case> table = HttpConformance.table();
        assertThat(table).hasSizeGreaterThanOrEqualTo(60);
        assertThat(table).allSatisfy(c -> assertThat(c.rfc()).matches("RFC \\d{4} §.*"));
        assertThat(table).extracting(Case::name).doesNotHaveDuplicates().contains(
                "cl-and-te-smuggling", "te-gzip-body-as-request", "te-unknown-before-chunked", "host-missing",
                "host-twice", "host-with-space", "date-on-every-response", "version-1.2-as-1.1", "version-2.0",
                "version-3.0", "method-lowercase-get", "header-64k", "h2-prior-knowledge-off",
                "h2c-upgrade-ignored", "head-on-a-get-resource", "head-metrics");
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void answersAsTheRfcSays(Server server, Case c) throws Exception {
        exchange(server.port(), c.bytes(server.path), c.head(), c.statuses(), c.request().startsWith("OPTIONS "),
                c.close(), server.path);
    }

    /**
     * FORKLINE_HTTP_MAX_REQUEST_LINE and FORKLINE_HTTP_MAX_HEADER_SIZE, set small, hold on the facet
     * and on the admin API: a request at each limit is served, one byte more gets 414 or 431 — which
     * the client receives — and a clean close (FIN).
     */
    @ParameterizedTest(name = "{0}")
    @EnumSource(names = {"FACET", "ADMIN"})
    void smallSizeLimitsAreAnswered414And431ThenClosed(Server server) throws Exception {
        int port = server == Server.FACET ? small.httpPort : small.adminPort;
        String prefix = "GET " + server.path + "?";
        String suffix = " HTTP/1.1";
        String line = prefix + "a".repeat(SMALL_LINE - prefix.length() - suffix.length()) + suffix;
        assertThat(line).hasSize(SMALL_LINE);
        String host = "Host: x";
        String pad = "X-Pad: ";
        String fields = host + "\r\n" + pad + "b".repeat(SMALL_HEADERS - host.length() - pad.length());
        assertThat(fields.length() - 2).as("field bytes, without CR LF").isEqualTo(SMALL_HEADERS);

        exchange(port, bytes(line + "\r\nHost: x\r\n\r\n"), false, List.of(200), false, false, server.path);
        exchange(port, bytes(line.replace("?", "?a") + "\r\nHost: x\r\n\r\n"), false, List.of(414), false, true, server.path);
        exchange(port, bytes("GET " + server.path + " HTTP/1.1\r\n" + fields + "\r\n\r\n"), false, List.of(200), false,
                false, server.path);
        exchange(port, bytes("GET " + server.path + " HTTP/1.1\r\n" + fields + "b\r\n\r\n"), false, List.of(431), false,
                true, server.path);
    }

    static Stream<Arguments> http2() {
        return Stream.of(Server.FACET_H2C, Server.APP).flatMap(s -> Stream.of(
                Arguments.of(s, "prior knowledge"), Arguments.of(s, "Upgrade: h2c")));
    }

    /**
     * HTTP/2 answers carry Date as HTTP/1.1 ones do (RFC 9110 §6.6.1 is for every version), over
     * prior knowledge (what curl --http2-prior-knowledge does) and over an h2c upgrade, several on
     * one connection (so the HPACK dynamic table is in use), from Vert.x's own HTTP/2 client.
     */
    @ParameterizedTest(name = "{0}, {1}")
    @MethodSource("http2")
    void http2AnswersCarryDate(Server server, String how) throws Exception {
        Vertx vertx = Vertx.vertx();
        try {
            HttpClientAgent client = vertx.createHttpClient(new HttpClientOptions()
                    .setProtocolVersion(HttpVersion.HTTP_2).setHttp2ClearTextUpgrade(how.equals("Upgrade: h2c"))
                    .setDefaultHost("127.0.0.1").setDefaultPort(server.port()), new PoolOptions().setHttp2MaxSize(1));
            for (HttpMethod method : List.of(HttpMethod.GET, HttpMethod.GET, HttpMethod.DELETE, HttpMethod.HEAD, HttpMethod.GET)) {
                HttpClientResponse r = client.request(method, server.path)
                        .compose(req -> req.send().compose(res -> res.body().map(body -> res)))
                        .toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
                assertThat(r.version()).as("%s %s", method, how).isEqualTo(HttpVersion.HTTP_2);
                assertThat(r.statusCode()).isEqualTo(method == HttpMethod.DELETE ? 405 : 200);
                assertThat(r.getHeader("date")).as("Date on the HTTP/2 answer to %s (RFC 9110 §6.6.1)", method)
                        .matches("[A-Z][a-z]{2}, \\d{2} [A-Z][a-z]{2} \\d{4} \\d{2}:\\d{2}:\\d{2} GMT");
                assertThat(r.headers().getAll("date")).hasSize(1);
            }
        } finally {
            vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        }
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    /**
     * Writes {@code request} at once and reads the answers: their statuses, HTTP/1.1, Date on each,
     * Allow where the RFC asks for it; then a close with FIN, or an open connection that serves one
     * more request.
     */
    private static void exchange(int port, byte[] request, boolean head, List<Integer> statuses, boolean options,
                                 boolean close, String path) throws IOException {
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(10_000);
            s.getOutputStream().write(request);
            s.getOutputStream().flush();
            InputStream in = s.getInputStream();
            for (int i = 0; i < statuses.size(); i++) {
                Response r = HttpConformance.read(in, i == 0 && head);
                assertThat(r.statusLine()).as("status line of answer %d", i + 1)
                        .startsWith("HTTP/1.1 " + statuses.get(i) + " ");
                assertThat(r.headers()).as("Date on answer %d (RFC 9110 §6.6.1)", i + 1).containsKey("date");
                if (statuses.get(i) == 405) {
                    assertThat(r.headers()).as("Allow on a 405 (RFC 9110 §15.5.6)").containsKey("allow");
                }
                if (options && statuses.get(i) / 100 == 2) {
                    assertThat(r.headers()).as("Allow on a 2xx to OPTIONS (RFC 9110 §9.3.7)").containsKey("allow");
                }
            }
            if (close) {
                assertClosedWithFin(in);
            } else {
                s.getOutputStream().write(HttpConformance.bytes("GET {path} HTTP/1.1\r\nHost: x\r\n\r\n", path));
                assertThat(HttpConformance.read(in, false).statusLine()).as("a new request on the same connection")
                        .startsWith("HTTP/1.1 200 ");
            }
        }
    }

    /** After the last answer: EOF, not RST (which can destroy the answer), and no further answer. */
    private static void assertClosedWithFin(InputStream in) throws IOException {
        ByteArrayOutputStream extra = new ByteArrayOutputStream();
        try {
            int b;
            while ((b = in.read()) != -1) {
                extra.write(b);
            }
        } catch (SocketException e) {
            fail("the connection was reset instead of closed (RST can destroy the answer): " + e.getMessage()
                    + "; bytes after the answers: " + extra.toString(StandardCharsets.ISO_8859_1));
        } catch (SocketTimeoutException e) {
            fail("the connection was not closed; bytes after the answers: " + extra.toString(StandardCharsets.ISO_8859_1));
        }
        assertThat(extra.toString(StandardCharsets.ISO_8859_1)).as("bytes after the expected answers").isEmpty();
    }
}
