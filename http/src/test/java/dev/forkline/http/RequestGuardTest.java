package dev.forkline.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.forkline.testkit.HttpConformance;
import dev.forkline.testkit.HttpConformance.Case;
import io.vertx.core.net.impl.ShutdownEvent;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The conformance table against the guard alone, in front of Vert.x's own HTTP/1.1 codec (and, with
 * HTTP/2 cleartext on, Vert.x's preface detector): every case as one read, as one read per byte, and
 * split in two at every offset. Requests that arrive across reads exercise what a single write to a
 * socket rarely does: a head or a chunk-size line carried to the next read, a chunk's CR LF waiting
 * for its LF, the first bytes waiting to tell HTTP/1.1 from the HTTP/2 preface. The answers must be
 * the table's, whatever the cuts.
 */
class RequestGuardTest {
    private static final String PATH = "/";
    private static final byte[] NEXT = "GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

    static Stream<Arguments> cases() {
        List<Arguments> all = new ArrayList<>();
        for (boolean h2c : new boolean[] {false, true}) {
            for (Case c : HttpConformance.table()) {
                if (c.only().contains(HttpConformance.ONLY_ADMIN) || h2c && c.only().contains(HttpConformance.ONLY_H2C_OFF)) {
                    continue;
                }
                all.add(Arguments.of(h2c ? "h2c on" : "h2c off", c));
            }
        }
        return all.stream();
    }

    @ParameterizedTest(name = "{1}, {0}")
    @MethodSource("cases")
    void answersAsTheTableSaysInOneRead(String h2c, Case c) {
        byte[] request = c.bytes(PATH);
        check(c, h2c, request, new int[] {request.length});
    }

    @ParameterizedTest(name = "{1}, {0}")
    @MethodSource("cases")
    void answersAsTheTableSaysWithOneReadPerByte(String h2c, Case c) {
        byte[] request = c.bytes(PATH);
        int[] cuts = new int[request.length];
        for (int i = 0; i < cuts.length; i++) {
            cuts[i] = i + 1;
        }
        check(c, h2c, request, cuts);
    }

    @ParameterizedTest(name = "{1}, {0}")
    @MethodSource("cases")
    void answersAsTheTableSaysWhereverTheRequestIsSplitInTwo(String h2c, Case c) {
        byte[] request = c.bytes(PATH);
        for (int at = 1; at < request.length; at = next(at)) {
            check(c, h2c, request, new int[] {at, request.length});
        }
    }

    /**
     * The next offset to split at: every one up to where a first read alone has passed both size
     * limits (then the guard must have refused before the second read), every 64th beyond — only the
     * 64 KiB header case is that long, and every offset of it would cost a minute.
     */
    private static int next(int at) {
        int everyOne = GuardedServer.LIMITS.maxRequestLine() + GuardedServer.LIMITS.maxHeaderSize() + 1024;
        return at < everyOne ? at + 1 : at + 64;
    }

    /**
     * During a drain (the worker's ShutdownEvent) a keep-alive connection whose last request is
     * answered closes after a quiet second — with HTTP/2 cleartext on too, whatever the first byte of
     * its first request: a POST once went uncounted there, and the connection stayed open until the
     * drain timeout (12 s instead of ~1 s into a reload).
     */
    @ParameterizedTest(name = "{0}, {1}")
    @CsvSource({"GET, h2c on", "POST, h2c on", "PUT, h2c on", "PRI, h2c on", "POST, h2c off"})
    void aDrainingKeepAliveConnectionClosesAfterAQuietSecondWhateverItsFirstRequest(String method, String h2c) {
        GuardedServer server = new GuardedServer(h2c.equals("h2c on"));
        server.channel.freezeTime();
        byte[] request = (method + " / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
        server.read(request, 0, request.length);
        assertThat(server.answers(false).responses()).hasSize(1);
        server.channel.pipeline().fireUserEventTriggered(new ShutdownEvent(10, TimeUnit.SECONDS));
        server.channel.advanceTimeBy(RequestGuard.DRAIN_QUIET_MILLIS, TimeUnit.MILLISECONDS);
        server.channel.runScheduledPendingTasks();
        assertThat(server.channel.isOpen()).as("closed a quiet second into the drain").isFalse();
        server.channel.finishAndReleaseAll();
    }

    /** Feeds {@code request} in reads ending at each of {@code cuts}, then checks the table's outcome. */
    private static void check(Case c, String h2c, byte[] request, int[] cuts) {
        GuardedServer server = new GuardedServer(h2c.equals("h2c on"));
        int from = 0;
        for (int cut : cuts) {
            server.read(request, from, cut);
            from = cut;
        }
        String where = c + ", " + h2c + ", reads ending at " + (cuts.length > 8 ? "every byte" : java.util.Arrays.toString(cuts));
        GuardedServer.Answers answers = server.answers(c.head());
        assertThat(answers.responses()).as("answers to %s (unparsed: %s)", where, answers.rest())
                .extracting(HttpConformance.Response::status).isEqualTo(c.statuses());
        for (HttpConformance.Response r : answers.responses()) {
            assertThat(r.statusLine()).as(where).startsWith("HTTP/1.1 ");
            assertThat(r.headers()).as("Date (RFC 9110 §6.6.1) in %s of %s", r.statusLine(), where).containsKey("date");
            if (r.status() == 405 || r.status() / 100 == 2 && c.request().startsWith("OPTIONS ")) {
                assertThat(r.headers()).as("Allow in %s of %s", r.statusLine(), where).containsKey("allow");
            }
        }
        assertThat(answers.rest()).as("bytes after the answers to %s", where).isEmpty();
        if (c.close()) {
            assertThat(server.channel.isOpen()).as("closed after %s", where).isFalse();
        } else {
            assertThat(server.channel.isOpen()).as("open after %s", where).isTrue();
            server.read(NEXT, 0, NEXT.length);
            GuardedServer.Answers after = server.answers(c.head());
            assertThat(after.responses()).as("a new request on the connection after %s", where)
                    .extracting(HttpConformance.Response::status).endsWith(200).hasSize(c.statuses().size() + 1);
        }
        server.channel.finishAndReleaseAll();
    }
}
