package dev.forkline.supervisor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.forkline.protocol.ControlCodec;
import dev.forkline.protocol.LineClient;
import dev.forkline.protocol.LineReader;
import dev.forkline.testkit.ForklineProcess;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Hostile clients against one real worker process. Each case ends by checking that other clients are
 * still served, that the worker is the same process (no crash, no out-of-memory restart) and that its
 * resident memory stayed bounded. The worker runs with a 64 MB heap to make unbounded buffering fail
 * loudly.
 */
class HostileInputIT {
    private static final int MAX_LINE = 8192;
    private static final int MAX_CONNECTIONS = 100;
    /** Resident memory a case may add to the worker: buffers and heap growth, never the input's size. */
    private static final long RSS_GROWTH_LIMIT_KIB = 48 * 1024;

    private static ForklineProcess forkline;
    private static long workerPid;
    private long rssBefore;

    @BeforeAll
    static void start() throws Exception {
        forkline = ForklineProcess.start(Map.of(
                "FORKLINE_WORKERS", "1",
                "FORKLINE_LINE_TIMEOUT", "1s",
                "FORKLINE_MAX_CONNECTIONS", Integer.toString(MAX_CONNECTIONS),
                "FORKLINE_WORKER_JVM_OPTS", "-Xmx64m"));
        workerPid = forkline.awaitAllReady().get(0);
    }

    @AfterAll
    static void stop() {
        forkline.close();
    }

    @BeforeEach
    void measure() throws IOException {
        rssBefore = ForklineProcess.rssKib(workerPid);
    }

    @AfterEach
    void othersAreStillServedAndMemoryStayedBounded(org.junit.jupiter.api.TestInfo test) throws Exception {
        try (LineClient other = LineClient.connect("127.0.0.1", forkline.port)) {
            assertThat(other.serverPid()).as("the same worker process: no crash, no restart").isEqualTo(workerPid);
            assertThat(other.send("PING")).isEqualTo("PONG");
        }
        long rssAfter = ForklineProcess.rssKib(workerPid);
        System.out.printf("    %s: worker RSS %d KiB -> %d KiB%n", test.getDisplayName(), rssBefore, rssAfter);
        assertThat(rssAfter - rssBefore).as("RSS growth in KiB").isLessThan(RSS_GROWTH_LIMIT_KIB);
        // Every connection of the case is gone: only the INFO probe's own is open.
        await().atMost(Duration.ofSeconds(10)).until(() -> openConnections() == 1);
    }

    private static long openConnections() throws IOException {
        try (LineClient c = LineClient.connect("127.0.0.1", forkline.port)) {
            return ControlCodec.decodeInfo(c.send("INFO")).connections();
        }
    }

    @Test
    void aTenMegabyteLineIsRefusedAfterMaxLineBytesWithoutBufferingIt() throws Exception {
        try (Socket s = connect()) {
            CompletableFuture<String> answer = readLineAfterGreeting(s);
            byte[] chunk = new byte[64 * 1024];
            java.util.Arrays.fill(chunk, (byte) 'a');
            OutputStream out = s.getOutputStream();
            try {
                for (int sent = 0; sent < 10 * 1024 * 1024; sent += chunk.length) {
                    out.write(chunk);
                }
            } catch (IOException closedByServer) {
                // expected: the worker closes the connection once it has answered
            }
            assertThat(answer.get(10, TimeUnit.SECONDS)).isEqualTo("ERR line too long (max " + MAX_LINE + " bytes)");
        }
    }

    @Test
    void binaryDataWithNulBytesAndInvalidUtf8IsAnsweredLikeAnyOtherLine() throws Exception {
        Random random = new Random(42);
        try (LineClient c = LineClient.connect("127.0.0.1", forkline.port)) {
            for (int i = 0; i < 200; i++) {
                byte[] junk = new byte[1 + random.nextInt(4000)];
                random.nextBytes(junk);
                for (int j = 0; j < junk.length; j++) {
                    if (junk[j] == '\n') {
                        junk[j] = 0; // NUL instead: one line per round
                    }
                }
                junk[0] = (byte) 0xC3; // a UTF-8 lead byte ...
                if (junk.length > 1) {
                    junk[1] = (byte) 0x28; // ... followed by an invalid continuation
                }
                c.writeRaw(junk);
                c.writeRaw(new byte[] {'\n'});
                assertThat(c.readResponse()).isEqualTo(Long.toString(workerPid));
            }
            assertThat(c.send("PING")).isEqualTo("PONG");
        }
    }

    @Test
    void crWithoutLfIsPartOfTheLineAndCountsTowardsItsLimit() throws Exception {
        try (LineClient c = LineClient.connect("127.0.0.1", forkline.port)) {
            c.writeRaw("PI\rNG\r\n".getBytes(StandardCharsets.US_ASCII));
            assertThat(c.readResponse()).as("a CR inside a line is data").isEqualTo(Long.toString(workerPid));
            c.writeRaw(("\r".repeat(MAX_LINE) + "\r\n").getBytes(StandardCharsets.US_ASCII));
            assertThat(c.readResponse()).isEqualTo(Long.toString(workerPid));
            c.writeRaw("\r".repeat(MAX_LINE * 3).getBytes(StandardCharsets.US_ASCII));
            assertThat(c.readResponse()).isEqualTo("ERR line too long (max " + MAX_LINE + " bytes)");
            assertThat(c.awaitClosedByServer()).isTrue();
        }
    }

    @Test
    void slowlorisSendingOneBytePerIntervalIsClosedAfterTheLineTimeout() throws Exception {
        ScheduledExecutorService pacer = Executors.newSingleThreadScheduledExecutor();
        try (LineClient c = LineClient.connect("127.0.0.1", forkline.port)) {
            // One byte every 200 ms, never a LF: the line is never complete.
            pacer.scheduleAtFixedRate(() -> {
                try {
                    c.writeRaw(new byte[] {'z'});
                } catch (IOException closed) {
                    // the worker gave up on us: that is the point
                }
            }, 0, 200, TimeUnit.MILLISECONDS);
            long t0 = System.nanoTime();
            assertThat(c.readResponse()).isEqualTo("ERR line timeout (1 s)");
            Duration took = Duration.ofNanos(System.nanoTime() - t0);
            assertThat(c.awaitClosedByServer()).isTrue();
            assertThat(took).isBetween(Duration.ofMillis(900), Duration.ofSeconds(5));
        } finally {
            pacer.shutdownNow();
        }
    }

    @Test
    void aFloodOfConnectionsBeyondTheLimitGetsErrBusyWhileTheOthersKeepWorking() throws Exception {
        List<LineClient> held = new ArrayList<>();
        try {
            for (int i = 0; i < MAX_CONNECTIONS; i++) {
                held.add(LineClient.connect("127.0.0.1", forkline.port));
            }
            int busy = 0;
            for (int i = 0; i < 50; i++) {
                try (LineClient extra = LineClient.connect("127.0.0.1", forkline.port)) {
                    throw new AssertionError("connection " + (MAX_CONNECTIONS + i) + " was accepted");
                } catch (IOException e) {
                    assertThat(e).hasMessage("ERR busy");
                    busy++;
                }
            }
            assertThat(busy).isEqualTo(50);
            for (LineClient c : held) {
                assertThat(c.send("PING")).isEqualTo("PONG");
            }
        } finally {
            for (LineClient c : held) {
                c.close();
            }
        }
        // The worker sees the closes asynchronously: wait until it accepts again.
        await().atMost(Duration.ofSeconds(10)).ignoreExceptions().until(() -> {
            try (LineClient c = LineClient.connect("127.0.0.1", forkline.port)) {
                return true;
            }
        });
    }

    @Test
    void aClientPipeliningAHundredThousandRequestsWithoutReadingIsPausedNotBuffered() throws Exception {
        byte[] requests = "PING\n".repeat(100_000).getBytes(StandardCharsets.US_ASCII);
        try (Socket s = connect()) {
            s.setReceiveBufferSize(8 * 1024);
            // Before the writer starts: the worker may read much of the flood before a probe gets through.
            long baseline = info().bytesIn();
            Thread writer = new Thread(() -> {
                try {
                    s.getOutputStream().write(requests);
                } catch (IOException e) {
                    // closed at the end of the test
                }
            });
            writer.setDaemon(true);
            writer.start();
            // The worker's intake stops: what it has not read waits in TCP buffers, not in its heap
            // (20 MB in LineServerTest shows the pause itself; 500 KB may fit in loopback buffers).
            long[] last = {-1};
            try {
                await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(300))
                        .until(() -> stalledAfterReading(baseline, last));
            } catch (org.awaitility.core.ConditionTimeoutException e) {
                throw new AssertionError("the worker's intake did not stall after reading some of the flood: "
                        + (last[0] - baseline) + " bytes read, writer " + (writer.isAlive() ? "writing" : "done"), e);
            }
            long rss = ForklineProcess.rssKib(workerPid);
            System.out.printf("    intake stalled after %d bytes: worker RSS %d KiB, writer %s%n", last[0] - baseline, rss,
                    writer.isAlive() ? "blocked by flow control" : "done (all in socket buffers)");
            assertThat(rss - rssBefore).isLessThan(RSS_GROWTH_LIMIT_KIB);

            // Nothing was lost: reading now yields every answer in order.
            InputStream in = s.getInputStream();
            LineReader r = new LineReader(in, 64);
            assertThat(r.readLine()).isEqualTo(Long.toString(workerPid));
            for (int i = 0; i < 100_000; i++) {
                assertThat(r.readLine()).isEqualTo("PONG");
            }
        }
    }

    /**
     * Whether the worker has read a good part of the flood (so the writer did send; its RSS is then
     * measured with that input in flight) and its bytes_in stopped moving between two polls, but for
     * the probe's own "INFO\r\n".
     */
    private static boolean stalledAfterReading(long baseline, long[] last) throws Exception {
        long in = info().bytesIn();
        boolean stable = in - last[0] == "INFO\r\n".length();
        last[0] = in;
        return stable && in - baseline > 64 * 1024;
    }

    private static dev.forkline.protocol.WorkerStats info() throws IOException {
        try (LineClient c = LineClient.connect("127.0.0.1", forkline.port)) {
            return ControlCodec.decodeInfo(c.send("INFO"));
        }
    }

    @Test
    void halfCloseFlushesEveryPendingAnswerThenCloses() throws Exception {
        try (Socket s = connect()) {
            s.getOutputStream().write("PING\r\n".repeat(10_000).getBytes(StandardCharsets.US_ASCII));
            s.shutdownOutput();
            LineReader r = new LineReader(s.getInputStream(), 64);
            assertThat(r.readLine()).isEqualTo(Long.toString(workerPid));
            for (int i = 0; i < 10_000; i++) {
                assertThat(r.readLine()).as("answer %d", i).isEqualTo("PONG");
            }
            assertThat(r.readLine()).as("then EOF").isNull();
        }
    }

    @Test
    void anAbruptResetInTheMiddleOfARequestLeavesNothingBehind() throws Exception {
        dev.forkline.protocol.WorkerStats before = info();
        for (int i = 0; i < 50; i++) {
            Socket s = connect();
            s.getOutputStream().write("PI".getBytes(StandardCharsets.US_ASCII)); // half a request
            s.setSoLinger(true, 0); // close() now sends RST instead of FIN
            s.close();
        }
        // Every reset connection was accepted and is gone; none of their half lines was answered.
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            dev.forkline.protocol.WorkerStats after = info();
            assertThat(after.accepted() - before.accepted()).as("accepted: the 50 and the probes").isGreaterThanOrEqualTo(51);
            assertThat(after.connections()).as("only the probe's own").isEqualTo(1);
            assertThat(after.requests() - before.requests()).as("only the probes' INFO").isEqualTo(after.accepted()
                    - before.accepted() - 50);
        });
    }

    private static Socket connect() throws IOException {
        Socket s = new Socket();
        s.connect(new InetSocketAddress("127.0.0.1", forkline.port), 5000);
        s.setSoTimeout(10_000);
        return s;
    }

    /** Reads the greeting, then one more line, on another thread (so a writer can block meanwhile). */
    private static CompletableFuture<String> readLineAfterGreeting(Socket s) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                LineReader r = new LineReader(s.getInputStream(), 1024);
                r.readLine();
                return r.readLine();
            } catch (IOException e) {
                return "read failed: " + e;
            }
        });
    }
}
