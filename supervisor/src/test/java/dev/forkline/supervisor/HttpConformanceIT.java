package dev.forkline.supervisor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
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
    private static final Path TABLE = Path.of("src/test/resources/http-conformance.txt");
    private static ForklineProcess forkline;

    record Case(String name, String rfc, String request, List<Integer> statuses, boolean close) {
        @Override
        public String toString() {
            return name + " (" + rfc + ")";
        }
    }

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

    static List<Case> table() throws IOException {
        List<Case> cases = new ArrayList<>();
        for (String line : Files.readAllLines(TABLE, StandardCharsets.UTF_8)) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            String[] f = line.split(" \\| ");
            if (f.length != 5) {
                throw new IllegalArgumentException("not 5 columns: " + line);
            }
            List<Integer> statuses = Stream.of(f[3].trim().split(" +")).map(Integer::valueOf).toList();
            String close = f[4].trim();
            if (!close.equals("close") && !close.equals("open")) {
                throw new IllegalArgumentException("last column must be close or open: " + line);
            }
            cases.add(new Case(f[0].trim(), f[1].trim(), f[2].trim(), statuses, close.equals("close")));
        }
        return cases;
    }

    static Stream<Arguments> cases() throws IOException {
        List<Arguments> all = new ArrayList<>();
        for (Case c : table()) {
            for (Target t : Target.values()) {
                all.add(Arguments.of(t, c));
            }
        }
        return all.stream();
    }

    @Test
    void theTableHasEveryRowOfIssue11AndCitesAnRfcForEachCase() throws IOException {
        List<Case> table = table();
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
        byte[] request = bytes(c.request(), target.path);
        try (Socket s = new Socket("127.0.0.1", target.port())) {
            s.setSoTimeout(10_000);
            s.getOutputStream().write(request);
            s.getOutputStream().flush();
            InputStream in = s.getInputStream();
            for (int i = 0; i < c.statuses().size(); i++) {
                Response r = read(in, i == 0 && c.request().startsWith("HEAD "));
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
                s.getOutputStream().write(bytes("GET {path} HTTP/1.1\r\nHost: x\r\n\r\n", target.path));
                assertThat(read(in, false).statusLine()).as("a new request on the same connection")
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

    record Response(String statusLine, Map<String, String> headers, String body) {
    }

    private static Response read(InputStream in, boolean head) throws IOException {
        while (true) {
            String statusLine = line(in);
            Map<String, String> headers = new HashMap<>();
            for (String h = line(in); !h.isEmpty(); h = line(in)) {
                int colon = h.indexOf(':');
                headers.put(h.substring(0, colon).trim().toLowerCase(Locale.ROOT), h.substring(colon + 1).trim());
            }
            int code = Integer.parseInt(statusLine.split(" ")[1]);
            if (code == 100) {
                continue; // interim (RFC 9110 §15.2)
            }
            String body = "";
            if (!head && code != 204 && code != 304) {
                if ("chunked".equalsIgnoreCase(headers.get("transfer-encoding"))) {
                    StringBuilder sb = new StringBuilder();
                    for (int n = Integer.parseInt(line(in).split(";")[0].trim(), 16); n > 0;
                         n = Integer.parseInt(line(in).split(";")[0].trim(), 16)) {
                        sb.append(new String(in.readNBytes(n), StandardCharsets.ISO_8859_1));
                        line(in);
                    }
                    while (!line(in).isEmpty()) {
                        // trailers
                    }
                    body = sb.toString();
                } else if (headers.containsKey("content-length")) {
                    body = new String(in.readNBytes(Integer.parseInt(headers.get("content-length"))),
                            StandardCharsets.ISO_8859_1);
                }
            }
            return new Response(statusLine, headers, body);
        }
    }

    private static String line(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        int c;
        while ((c = in.read()) != '\n') {
            if (c == -1) {
                throw new IOException("EOF in the middle of an answer, after: " + b.toString(StandardCharsets.ISO_8859_1));
            }
            b.write(c);
        }
        String s = b.toString(StandardCharsets.ISO_8859_1);
        assertThat(s).as("a response line ends in CR LF").endsWith("\r");
        return s.substring(0, s.length() - 1);
    }

    private static final Pattern REPEAT = Pattern.compile("\\{(\\d+)\\*(.)}");

    /** The request bytes of a table entry (escapes in the table's header). */
    static byte[] bytes(String spec, String path) {
        String s = spec.replace("{path}", path);
        Matcher m = REPEAT.matcher(s);
        StringBuilder expanded = new StringBuilder();
        while (m.find()) {
            m.appendReplacement(expanded, Matcher.quoteReplacement(m.group(2).repeat(Integer.parseInt(m.group(1)))));
        }
        m.appendTail(expanded);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int i = 0; i < expanded.length(); i++) {
            char ch = expanded.charAt(i);
            if (ch == '\\' && i + 1 < expanded.length()) {
                char e = expanded.charAt(++i);
                switch (e) {
                    case 'r' -> out.write('\r');
                    case 'n' -> out.write('\n');
                    case 't' -> out.write('\t');
                    case '0' -> out.write(0);
                    case 'x' -> {
                        out.write(Integer.parseInt(expanded.substring(i + 1, i + 3), 16));
                        i += 2;
                    }
                    default -> out.write(e);
                }
            } else {
                out.write(ch);
            }
        }
        return out.toByteArray();
    }
}
