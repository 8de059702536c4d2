package dev.forkline.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.forkline.protocol.ControlCodec;
import dev.forkline.protocol.LineClient;
import dev.forkline.protocol.WorkerStats;
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
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The line protocol against a real listener: golden cases, framing, limits. */
class LineServerTest {
    private static final int INFO_PROBE_BYTES = "INFO\r\n".length();
    private static TestServer server;
    private static String pid;

    @BeforeAll
    static void start() throws Exception {
        server = TestServer.start();
        pid = Long.toString(ProcessHandle.current().pid());
    }

    @AfterAll
    static void stop() throws Exception {
        server.close();
    }

    @Test
    void greetsEachConnectionWithThePidOfTheServingProcess() throws IOException {
        try (LineClient c = server.connect()) {
            assertThat(c.greeting()).isEqualTo(pid);
        }
    }

    /** Golden cases: exact request bytes in, exact response bytes out (after the greeting). */
    @Test
    void answersTheGoldenRequests() throws IOException {
        String[][] golden = {
            {"PING\r\n", "PONG\r\n"},
            {"ping\n", "PONG\r\n"},
            {"PiNg\r\n", "PONG\r\n"},
            {"PID\r\n", pid + "\r\n"},
            {"\r\n", pid + "\r\n"},
            {"\n", pid + "\r\n"},
            {"hello world\r\n", pid + "\r\n"},
            {"PING \r\n", pid + "\r\n"},
            {"PING\r\r\n", pid + "\r\n"},
            {"QUIT\r\n", "BYE\r\n"},
            {"quit\n", "BYE\r\n"},
        };
        for (String[] c : golden) {
            assertThat(exchange(c[0])).as("response to %s", c[0].replace("\r", "\\r").replace("\n", "\\n"))
                    .isEqualTo(pid + "\r\n" + c[1]);
        }
    }

    @Test
    void infoIsOneLineOfJsonAboutTheWorker() throws IOException {
        try (LineClient c = server.connect()) {
            String line = c.send("info");
            WorkerStats s = ControlCodec.decodeInfo(line);
            assertThat(s.pid()).isEqualTo(ProcessHandle.current().pid());
            assertThat(s.slot()).isZero();
            assertThat(s.generation()).isEqualTo(1);
            assertThat(s.connections()).isPositive();
            assertThat(s.requests()).isPositive();
            assertThat(s.uptimeMillis()).isNotNegative();
        }
    }

    @Test
    void quitSaysByeThenClosesTheConnection() throws IOException {
        try (LineClient c = server.connect()) {
            c.writeRaw("QUIT\r\nPING\r\n".getBytes(StandardCharsets.US_ASCII));
            assertThat(c.readResponse()).isEqualTo("BYE");
            assertThat(c.awaitClosedByServer()).as("closed after BYE, PING not answered").isTrue();
        }
    }

    @Test
    void answersPipelinedRequestsSplitAtEveryByteBoundaryInOrder() throws IOException {
        String stream = "PING\r\nINFO\npid\r\n\nquit?\r\nPING\n";
        byte[] bytes = stream.getBytes(StandardCharsets.US_ASCII);
        for (int cut = 0; cut <= bytes.length; cut++) {
            try (LineClient c = server.connect()) {
                c.writeRaw(java.util.Arrays.copyOfRange(bytes, 0, cut));
                c.writeRaw(java.util.Arrays.copyOfRange(bytes, cut, bytes.length));
                assertPipelinedAnswers(c, "cut at " + cut);
            }
        }
        try (LineClient c = server.connect()) {
            for (byte b : bytes) {
                c.writeRaw(new byte[] {b});
            }
            assertPipelinedAnswers(c, "one byte per write");
        }
    }

    private static void assertPipelinedAnswers(LineClient c, String how) throws IOException {
        assertThat(c.readResponse()).as(how).isEqualTo("PONG");
        assertThat(c.readResponse()).as(how).startsWith("{\"pid\":" + pid);
        assertThat(c.readResponse()).as(how).isEqualTo(pid);
        assertThat(c.readResponse()).as(how).isEqualTo(pid);
        assertThat(c.readResponse()).as(how).isEqualTo(pid);
        assertThat(c.readResponse()).as(how).isEqualTo("PONG");
    }

    @Test
    void answersManyPipelinedLinesInOrder() throws IOException {
        List<String> requests = new ArrayList<>();
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < 5000; i++) {
            boolean ping = i % 3 == 0;
            requests.add(ping ? "PING" : "line " + i);
            expected.add(ping ? "PONG" : pid);
        }
        try (LineClient c = server.connect()) {
            assertThat(c.pipeline(requests)).isEqualTo(expected);
        }
    }

    @Test
    void acceptsALineOfExactlyMaxLineBytes() throws IOException {
        int max = server.config.maxLine();
        try (LineClient c = server.connect()) {
            assertThat(c.send("x".repeat(max))).isEqualTo(pid);
            c.writeRaw(("y".repeat(max) + "\r\n").getBytes(StandardCharsets.US_ASCII));
            assertThat(c.readResponse()).as("the CR does not count").isEqualTo(pid);
        }
    }

    @Test
    void refusesALineLongerThanMaxLineAndCloses() throws IOException {
        int max = server.config.maxLine();
        try (LineClient c = server.connect()) {
            c.writeRaw(("z".repeat(max + 1) + "\n").getBytes(StandardCharsets.US_ASCII));
            assertThat(c.readResponse()).isEqualTo("ERR line too long (max " + max + " bytes)");
            assertThat(c.awaitClosedByServer()).isTrue();
        }
    }

    @Test
    void refusesAnUnterminatedLineAsSoonAsByteMaxPlusOneArrives() throws IOException {
        int max = server.config.maxLine();
        try (LineClient c = server.connect()) {
            // Exactly max + 1 bytes and nothing more: the line is already too long, whatever follows.
            c.writeRaw("v".repeat(max + 1).getBytes(StandardCharsets.US_ASCII));
            assertThat(c.readResponse()).isEqualTo("ERR line too long (max " + max + " bytes)");
            assertThat(c.awaitClosedByServer()).isTrue();
        }
    }

    @Test
    void waitsForTheLfWhenByteMaxPlusOneIsTheCrOfALineOfMaxBytes() throws IOException {
        int max = server.config.maxLine();
        try (LineClient c = server.connect()) {
            c.writeRaw(("u".repeat(max) + "\r").getBytes(StandardCharsets.US_ASCII));
            c.writeRaw("\nPING\r\n".getBytes(StandardCharsets.US_ASCII));
            assertThat(c.readResponse()).isEqualTo(Long.toString(ProcessHandle.current().pid()));
            assertThat(c.readResponse()).isEqualTo("PONG");
        }
    }

    @Test
    void refusesAnUnterminatedLineOnceItPassesMaxLine() throws IOException {
        int max = server.config.maxLine();
        try (LineClient c = server.connect()) {
            // No LF ever: the worker must not wait for one while buffering.
            c.writeRaw("w".repeat(max * 4).getBytes(StandardCharsets.US_ASCII));
            assertThat(c.readResponse()).isEqualTo("ERR line too long (max " + max + " bytes)");
            assertThat(c.awaitClosedByServer()).isTrue();
        }
    }

    @Test
    void aClientThatNeverReadsMakesTheWorkerStopReadingInsteadOfBuffering() throws Exception {
        // 4 M requests of 5 bytes: 20 MB in, 20 MB of answers if the worker never stopped.
        int requests = 4_000_000;
        byte[] chunk = "PING\n".repeat(10_000).getBytes(StandardCharsets.US_ASCII);
        try (Socket s = new Socket()) {
            s.setReceiveBufferSize(16 * 1024);
            s.connect(new InetSocketAddress("127.0.0.1", server.port));
            OutputStream out = s.getOutputStream();
            Thread writer = new Thread(() -> {
                try {
                    for (int i = 0; i < requests / 10_000; i++) {
                        out.write(chunk);
                    }
                } catch (IOException e) {
                    // the socket is closed at the end of the test
                }
            });
            writer.setDaemon(true);
            writer.start();

            // The worker stops reading: its bytes_in stops growing long before 20 MB. Between two
            // probes it grows by exactly the probe's own "INFO\r\n" once the writer is stalled.
            long[] last = {-1};
            await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(300)).until(() -> {
                long in = server.info().bytesIn();
                boolean stable = in - last[0] == INFO_PROBE_BYTES;
                last[0] = in;
                return stable;
            });
            long stalledAt = last[0];
            assertThat(stalledAt).as("bytes read before the worker paused").isLessThan(requests * 5L / 4);
            assertThat(writer.isAlive()).as("the writer is blocked by TCP flow control").isTrue();

            // ... and once the client reads, every answer arrives, in order, nothing lost.
            InputStream in = s.getInputStream();
            byte[] expect = (pid + "\r\n").getBytes(StandardCharsets.US_ASCII);
            byte[] pong = "PONG\r\n".getBytes(StandardCharsets.US_ASCII);
            readExactly(in, expect);
            for (int i = 0; i < requests; i++) {
                readExactly(in, pong);
            }
            writer.join(10_000);
            assertThat(writer.isAlive()).isFalse();
        }
    }

    /**
     * Each connection's bytes are counted once, where they cross the socket: a line connection's by
     * its own handler (the only one in its pipeline), an HTTP connection's by {@code SocketBytes}.
     * A second counting path on either would show here as bytes counted twice.
     */
    @Test
    void bytesOfLineAndHttpConnectionsAreEachCountedOnce() throws Exception {
        try (TestServer s = TestServer.start()) {
            WorkerStats before = s.counters();
            String lines = "PING\r\nPID\r\nhello\r\nQUIT\r\n";
            byte[] lineAnswers;
            try (Socket socket = new Socket("127.0.0.1", s.port)) {
                socket.setSoTimeout(5000);
                socket.getOutputStream().write(lines.getBytes(StandardCharsets.US_ASCII));
                lineAnswers = socket.getInputStream().readAllBytes(); // the worker closes after BYE
            }
            assertThat(new String(lineAnswers, StandardCharsets.US_ASCII))
                    .isEqualTo(pid + "\r\nPONG\r\n" + pid + "\r\n" + pid + "\r\nBYE\r\n");
            String request = "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
            byte[] httpAnswer;
            try (Socket socket = new Socket("127.0.0.1", s.httpPort)) {
                socket.setSoTimeout(5000);
                socket.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
                httpAnswer = socket.getInputStream().readAllBytes(); // Connection: close
            }
            assertThat(new String(httpAnswer, StandardCharsets.US_ASCII)).startsWith("HTTP/1.1 200");
            await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
                WorkerStats after = s.counters();
                assertThat(after.bytesIn() - before.bytesIn()).isEqualTo(lines.length() + request.length());
                assertThat(after.bytesOut() - before.bytesOut()).isEqualTo(lineAnswers.length + httpAnswer.length);
            });
        }
    }

    private static void readExactly(InputStream in, byte[] expected) throws IOException {
        byte[] got = in.readNBytes(expected.length);
        assertThat(new String(got, StandardCharsets.US_ASCII)).isEqualTo(new String(expected, StandardCharsets.US_ASCII));
    }

    private static String exchange(String request) throws IOException {
        try (Socket s = new Socket("127.0.0.1", server.port)) {
            s.setSoTimeout(5000);
            s.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
            s.shutdownOutput();
            return new String(s.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
        }
    }

    @Test
    void refusesConnectionsBeyondMaxConnectionsWithErrBusy() throws Exception {
        try (TestServer small = TestServer.start(Map.of("FORKLINE_MAX_CONNECTIONS", "2"));
                LineClient a = small.connect();
                LineClient b = small.connect()) {
            assertThatThrownBy(small::connect).hasMessage("ERR busy");
            assertThat(a.send("PING")).isEqualTo("PONG");
            assertThat(b.send("PING")).isEqualTo("PONG");
        }
    }

    @Test
    void closesAConnectionWithNothingReceivedForTheIdleTimeoutAndNotMuchLater() throws Exception {
        // The sweeper ticks every tenth of the timeout: a connection closes 1.0 to 1.1 timeouts after
        // its last input. The upper bound leaves half a timeout for a busy machine's scheduling;
        // without it, anything up to the client's 10 s read timeout would pass.
        try (TestServer quick = TestServer.start(Map.of("FORKLINE_IDLE_TIMEOUT", "1s"));
                LineClient c = quick.connect()) {
            assertThat(c.send("PING")).isEqualTo("PONG");
            long t0 = System.nanoTime();
            assertThat(c.awaitClosedByServer()).isTrue();
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isBetween(Duration.ofMillis(950), Duration.ofMillis(1600));
        }
    }

    @Test
    void countsClientResetsInsteadOfLoggingThem() throws Exception {
        List<java.util.logging.LogRecord> logged = new java.util.concurrent.CopyOnWriteArrayList<>();
        java.util.logging.Handler capture = new java.util.logging.Handler() {
            @Override
            public void publish(java.util.logging.LogRecord r) {
                if (r.getLevel().intValue() >= java.util.logging.Level.INFO.intValue()) {
                    logged.add(r);
                }
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        java.util.logging.Logger root = java.util.logging.Logger.getLogger("");
        root.addHandler(capture);
        try (TestServer s = TestServer.start()) {
            int resets = 50;
            for (int i = 0; i < resets; i++) {
                try (Socket socket = new Socket()) {
                    socket.connect(new InetSocketAddress("127.0.0.1", s.port));
                    readExactly(socket.getInputStream(), (pid + "\r\n").getBytes(StandardCharsets.US_ASCII));
                    socket.setSoLinger(true, 0); // close() sends RST: ECONNRESET on the worker's next read
                }
            }
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(s.info().resets()).isEqualTo(resets));
            assertThat(logged).as("no log line at INFO or above for an ordinary client reset")
                    .extracting(java.util.logging.LogRecord::getMessage).isEmpty();
        } finally {
            root.removeHandler(capture);
        }
    }
}
