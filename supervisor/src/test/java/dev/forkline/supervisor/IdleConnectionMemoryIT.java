package dev.forkline.supervisor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import dev.forkline.testkit.ForklineProcess;
import org.junit.jupiter.api.Test;

/**
 * The small, CI-sized version of bench/c100k.sh: 5 000 idle connections over 2 workers, and what
 * they cost the workers, against loose budgets, so that a change that multiplies the memory of an
 * idle connection (a Vert.x NetSocket cost 6.6 KB of live heap, the Netty handler 1.25 KB: see
 * docs/SCALE.md) fails the build. Not a benchmark: the budgets are 2-4 times what we measure.
 */
class IdleConnectionMemoryIT {
    private static final int CONNECTIONS = 5_000;
    /** Live heap per idle connection, after a full GC (jcmd GC.class_histogram): measured ~1 250 B. */
    private static final long LIVE_HEAP_BUDGET = 3_000;
    /** Growth of the workers' PSS per idle connection once warm: measured ~1 400 B. */
    private static final long PSS_BUDGET = 6_000;

    @Test
    void fiveThousandIdleConnectionsOverTwoWorkersStayWithinAMemoryBudget() throws Exception {
        try (ForklineProcess forkline = ForklineProcess.start(Map.of("FORKLINE_WORKERS", "2", "FORKLINE_HTTP_PORT", "0"))) {
            forkline.awaitAllReady();
            Set<Long> workers = forkline.workerPids();
            // Warm up: the worker's JIT compiles the accept and connection paths once (its code and
            // the compiler's freed arenas are a one-time cost, trimmed within 5 s), then measure. Fewer
            // connections than measured, so that the heap pages they touch do not pre-pay the measure.
            closeAll(open(forkline.port, 1_000));
            await().atMost(Duration.ofSeconds(30)).until(() -> connections(forkline) == 0);
            long heapBefore = liveHeap(workers);
            long pssBefore = awaitSettledPss(workers);

            List<Socket> held = open(forkline.port, CONNECTIONS);
            try {
                long pssAfter = awaitSettledPss(workers);
                long heapAfter = liveHeap(workers);
                long heapPer = (heapAfter - heapBefore) / CONNECTIONS;
                long pssPer = (pssAfter - pssBefore) * 1024 / CONNECTIONS;
                System.out.printf("    %d idle connections over 2 workers: live heap %d B, PSS %d B per connection%n",
                        CONNECTIONS, heapPer, pssPer);
                assertThat(connections(forkline)).isEqualTo(CONNECTIONS);
                assertThat(heapPer).as("live heap per idle connection, bytes").isLessThan(LIVE_HEAP_BUDGET);
                assertThat(pssPer).as("worker PSS growth per idle connection, bytes").isLessThan(PSS_BUDGET);
            } finally {
                closeAll(held);
            }
        }
    }

    /** Opens n connections and reads each greeting: all established and served before this returns. */
    private static List<Socket> open(int port, int n) throws IOException {
        List<Socket> sockets = new ArrayList<>(n);
        try {
            for (int i = 0; i < n; i++) {
                Socket s = new Socket();
                sockets.add(s);
                s.connect(new InetSocketAddress("127.0.0.1", port), 10_000);
                s.setSoTimeout(10_000);
                InputStream in = s.getInputStream();
                int b;
                while ((b = in.read()) != '\n') {
                    assertThat(b).as("greeting").isNotEqualTo(-1);
                }
            }
        } catch (IOException | AssertionError e) {
            closeAll(sockets);
            throw e;
        }
        return sockets;
    }

    private static void closeAll(List<Socket> sockets) {
        for (Socket s : sockets) {
            try {
                s.close();
            } catch (IOException e) {
                // closing anyway
            }
        }
    }

    /** Connections open on all workers, from the admin API's /status (a heartbeat old at most). */
    private static long connections(ForklineProcess forkline) throws Exception {
        String status = forkline.admin("GET", "/status").body();
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("\"connections\":(\\d+),\"totals\"").matcher(status);
        assertThat(m.find()).as("connections in /status").isTrue();
        return Long.parseLong(m.group(1));
    }

    /** The workers' PSS (kB) once two readings 6 s apart (past the 5 s native-heap trim) agree within 1 %. */
    private static long awaitSettledPss(Set<Long> workers) {
        long[] last = {-1};
        long[] settled = {0};
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofSeconds(6)).until(() -> {
            long now = 0;
            for (long w : workers) {
                now += pssKb(w);
            }
            boolean stable = last[0] > 0 && Math.abs(now - last[0]) * 100 <= last[0];
            last[0] = now;
            settled[0] = now;
            return stable;
        });
        return settled[0];
    }

    private static long pssKb(long pid) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "smaps_rollup"))) {
            if (line.startsWith("Pss:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        throw new IOException("no Pss for pid " + pid);
    }

    /** Live heap of the workers in bytes: jcmd's class histogram runs a full GC first. */
    private static long liveHeap(Set<Long> workers) throws Exception {
        long total = 0;
        String jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd").toString();
        for (long w : workers) {
            Process p = new ProcessBuilder(jcmd, Long.toString(w), "GC.class_histogram").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes());
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?m)^Total\\s+\\d+\\s+(\\d+)").matcher(out);
            assertThat(m.find()).as("jcmd histogram of " + w + ": " + out.lines().limit(3).toList()).isTrue();
            total += Long.parseLong(m.group(1));
        }
        return total;
    }
}
