package dev.forkline.supervisor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import dev.forkline.testkit.HttpConformance;
import dev.forkline.testkit.HttpConformance.Case;
import dev.forkline.testkit.HttpConformance.Response;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The HTTP/1.1 conformance table ({@code src/test/resources/http-conformance.txt}): raw request bytes
 * → the statuses the RFC names and whether the server closes the connection, run over raw sockets
 * against the real jar, on the worker's HTTP facet and on the supervisor's admin API (both behind
 * the same HttpGuard). Black-box: only the bytes on the wire count.
 */
class HttpConformanceIT {
    private static ForklineProcess forkline;

    enum Target {
        FACET("/"), ADMIN("/livez");

        final String path;

        Target(String path) {
            this.path = path;
        }

        int port() {
            return this == FACET ? forkline.httpPort : forkline.adminPort;
        }
    }

    @BeforeAll
    static void start() throws Exception {
        forkline = ForklineProcess.start(Map.of("FORKLINE_WORKERS", "1"));
        forkline.awaitAllReady();
    }

    @AfterAll
    static void stop() {
        if (forkline != null) {
            forkline.close();
        }
    }

    static Stream<Arguments> cases() throws IOException {
        List<Arguments> all = new ArrayList<>();
        for (Case c : HttpConformance.table()) {
            for (Target t : Target.values()) {
                if (c.only().contains(HttpConformance.ONLY_ADMIN) && t != Target.ADMIN) {
                    continue;
                }
                all.add(Arguments.of(t, c));
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
                "h2c-upgrade-ignored", "head-on-a-get-resource");
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void answersAsTheRfcSays(Target target, Case c) throws Exception {
        byte[] request = c.bytes(target.path);
        try (Socket s = new Socket("127.0.0.1", target.port())) {
            s.setSoTimeout(10_000);
            s.getOutputStream().write(request);
            s.getOutputStream().flush();
            InputStream in = s.getInputStream();
            for (int i = 0; i < c.statuses().size(); i++) {
                Response r = HttpConformance.read(in, i == 0 && c.head());
                assertThat(r.statusLine()).as("status line of answer %d", i + 1)
                        .startsWith("HTTP/1.1 " + c.statuses().get(i) + " ");
                assertThat(r.headers()).as("Date on answer %d (RFC 9110 §6.6.1)", i + 1).containsKey("date");
                if (c.statuses().get(i) == 405) {
                    assertThat(r.headers()).as("Allow on a 405 (RFC 9110 §15.5.6)").containsKey("allow");
                }
            }
            if (c.close()) {
                assertClosedWithFin(in);
            } else {
                s.getOutputStream().write(HttpConformance.bytes("GET {path} HTTP/1.1\r\nHost: x\r\n\r\n", target.path));
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
