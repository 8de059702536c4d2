package dev.forkline.worker;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The HTTP facet on a real listener: answers, keep-alive, pipelining, errors. */
class HttpFacetTest {
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

    private static HttpResponse<String> send(String method, String path) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + server.httpPort + path))
                .method(method, HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void getRootAnswersThePidAsText() throws Exception {
        HttpResponse<String> r = send("GET", "/");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).isEqualTo(pid + "\n");
        assertThat(r.headers().firstValue("content-type")).hasValue("text/plain; charset=utf-8");
    }

    @Test
    void getInfoAnswersTheInfoJson() throws Exception {
        HttpResponse<String> r = send("GET", "/info");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).startsWith("{\"pid\":" + pid + ",").contains("\"http_requests\":");
        assertThat(r.headers().firstValue("content-type")).hasValue("application/json");
    }

    @Test
    void unknownPathsAre404AndOtherMethods405() throws Exception {
        assertThat(send("GET", "/nope").statusCode()).isEqualTo(404);
        HttpResponse<String> post = send("POST", "/");
        assertThat(post.statusCode()).isEqualTo(405);
        assertThat(post.headers().firstValue("allow")).hasValue("GET, HEAD");
        HttpResponse<String> head = send("HEAD", "/");
        assertThat(head.statusCode()).isEqualTo(200);
        assertThat(head.body()).isEmpty();
        assertThat(head.headers().firstValue("content-length")).hasValue(Integer.toString(pid.length() + 1));
    }

    @Test
    void keepsTheConnectionAliveAndAnswersPipelinedRequestsInOrder() throws IOException {
        try (Socket s = new Socket("127.0.0.1", server.httpPort)) {
            s.setSoTimeout(5000);
            String three = "GET / HTTP/1.1\r\nHost: x\r\n\r\n"
                    + "GET /nope HTTP/1.1\r\nHost: x\r\n\r\n"
                    + "GET /info HTTP/1.1\r\nHost: x\r\n\r\n";
            s.getOutputStream().write(three.getBytes(StandardCharsets.US_ASCII)); // one write: pipelined
            InputStream in = s.getInputStream();
            assertThat(readResponse(in)).startsWith("HTTP/1.1 200").endsWith("\r\n\r\n" + pid + "\n");
            assertThat(readResponse(in)).startsWith("HTTP/1.1 404");
            assertThat(readResponse(in)).startsWith("HTTP/1.1 200").contains("{\"pid\":" + pid);
            // Still open: a fourth request on the same connection.
            s.getOutputStream().write("GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            assertThat(readResponse(in)).startsWith("HTTP/1.1 200");
        }
    }

    @Test
    void bytesInAndOutCountEveryByteOfHttpAtTheSocket() throws Exception {
        dev.forkline.protocol.WorkerStats before = server.counters();
        String requests = "GET / HTTP/1.1\r\nHost: x\r\nUser-Agent: counted-too\r\n\r\n"
                + "GET /info HTTP/1.1\r\nHost: x\r\n\r\n";
        long received = 0;
        try (Socket s = new Socket("127.0.0.1", server.httpPort)) {
            s.setSoTimeout(5000);
            s.getOutputStream().write(requests.getBytes(StandardCharsets.US_ASCII));
            InputStream in = s.getInputStream();
            for (int i = 0; i < 2; i++) {
                received += readResponse(in).getBytes(StandardCharsets.UTF_8).length;
            }
        }
        long sent = requests.length();
        long answered = received;
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(5)).untilAsserted(() -> {
            dev.forkline.protocol.WorkerStats after = server.counters();
            // Headers, request lines and bodies: the bytes as they crossed the socket, not bodies only.
            assertThat(after.bytesIn() - before.bytesIn()).isEqualTo(sent);
            assertThat(after.bytesOut() - before.bytesOut()).isEqualTo(answered);
        });
    }

    @Test
    void bytesOfARequestTheGuardRefusesAreCountedToo() throws Exception {
        dev.forkline.protocol.WorkerStats before = server.counters();
        String noHost = "GET / HTTP/1.1\r\nUser-Agent: no-host-header\r\n\r\n"; // RFC 9112 §3.2: 400
        long received;
        try (Socket s = new Socket("127.0.0.1", server.httpPort)) {
            s.setSoTimeout(5000);
            s.getOutputStream().write(noHost.getBytes(StandardCharsets.US_ASCII));
            byte[] answer = s.getInputStream().readAllBytes(); // the guard answers 400 and closes
            assertThat(new String(answer, StandardCharsets.US_ASCII)).startsWith("HTTP/1.1 400");
            received = answer.length;
        }
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(5)).untilAsserted(() -> {
            dev.forkline.protocol.WorkerStats after = server.counters();
            assertThat(after.bytesIn() - before.bytesIn()).isEqualTo(noHost.length());
            assertThat(after.bytesOut() - before.bytesOut()).isEqualTo(received);
        });
    }

    /** Reads one response: headers up to the blank line, then Content-Length bytes. */
    private static String readResponse(InputStream in) throws IOException {
        StringBuilder head = new StringBuilder();
        while (!head.toString().endsWith("\r\n\r\n")) {
            int c = in.read();
            if (c < 0) {
                throw new IOException("closed after: " + head);
            }
            head.append((char) c);
        }
        int length = 0;
        for (String line : head.toString().split("\r\n")) {
            if (line.toLowerCase().startsWith("content-length:")) {
                length = Integer.parseInt(line.substring(15).strip());
            }
        }
        return head + new String(in.readNBytes(length), StandardCharsets.UTF_8);
    }
}
