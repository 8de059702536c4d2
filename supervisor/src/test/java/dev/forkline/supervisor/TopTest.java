package dev.forkline.supervisor;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * How {@code forkline top} ends when the admin API changes its answer while it runs, against a
 * stand-in admin API (a real supervisor cannot change its token while it runs). Without a terminal
 * (as here) top prints a table a second.
 */
class TopTest {
    private Vertx vertx;
    private HttpServer api;
    /** /status answers 200 this many times, then 401 (or, with {@link #goAway}, the API closes). */
    private final AtomicInteger allowed = new AtomicInteger(2);
    private volatile boolean goAway;

    @BeforeEach
    void start() throws Exception {
        vertx = Vertx.vertx();
        api = vertx.createHttpServer().requestHandler(req -> {
            int left = req.path().equals("/status") ? allowed.getAndDecrement() : 1;
            if (left <= 0) {
                req.response().setStatusCode(401).end("{\"error\":\"missing or wrong token\"}");
            } else if (req.path().equals("/status")) {
                if (left == 1 && goAway) {
                    // This answer, on a connection the client does not keep, then nothing listens.
                    req.response().putHeader("Connection", "close").endHandler(v -> api.close());
                }
                req.response().end("{\"pid\":4242,\"state\":\"running\",\"workers_desired\":1,\"workers\":"
                        + "[{\"slot\":0,\"pid\":5001,\"role\":\"serving\",\"state\":\"ready\"}]}");
            } else {
                req.response().end("{\"events\":[],\"last\":0}");
            }
        }).listen(0, "127.0.0.1").await(10, TimeUnit.SECONDS);
    }

    @AfterEach
    void stop() throws Exception {
        vertx.close().await(10, TimeUnit.SECONDS);
    }

    private record Ended(int exitCode, String out, List<String> err) {
    }

    private Ended top() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        AdminClient client = new AdminClient(new AdminConfig("127.0.0.1", api.actualPort(), ""),
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        int code = client.run("top", List.of());
        return new Ended(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8).lines().toList());
    }

    @Test
    void aTokenRefusedWhileTopRunsIsSaidAsSuchInOneLineAndExitsNonZero() {
        Ended top = top();
        assertThat(top.exitCode()).isEqualTo(1);
        assertThat(top.out()).contains(" 5001 ");
        assertThat(top.err()).containsExactly("forkline top: the supervisor at http://127.0.0.1:" + api.actualPort()
                + " refused the request: missing or wrong FORKLINE_ADMIN_TOKEN");
    }

    @Test
    void anAdminApiThatStopsAnsweringIsASupervisorGone() {
        goAway = true;
        Ended top = top();
        assertThat(top.exitCode()).isEqualTo(1);
        assertThat(top.out()).contains(" 5001 ");
        assertThat(top.err()).hasSize(1);
        assertThat(top.err().get(0)).startsWith("forkline top: the supervisor went away: cannot reach the supervisor at");
    }
}
