package dev.forkline.testkit;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The HTTP/1.1 conformance table ({@code http-conformance.txt} on the class path: raw request bytes →
 * the statuses the RFC names and whether the connection closes) and what reads it: run against the
 * real jar by {@code HttpConformanceIT} and against the guard alone, split at every offset, by the
 * http module's tests. One table, so both prove the same cases.
 */
public final class HttpConformance {
    /** Conditions of the table's optional last column. */
    public static final String ONLY_ADMIN = "admin";
    public static final String ONLY_H2C_OFF = "h2c-off";
    private static final Set<String> CONDITIONS = Set.of(ONLY_ADMIN, ONLY_H2C_OFF);

    private HttpConformance() {
    }

    /** One row: {@code only} holds the conditions under which it applies (empty: everywhere). */
    public record Case(String name, String rfc, String request, List<Integer> statuses, boolean close, Set<String> only) {
        @Override
        public String toString() {
            return name + " (" + rfc + ")";
        }

        /** The request bytes, with {@code {path}} as a GET/HEAD resource of the server under test. */
        public byte[] bytes(String path) {
            return HttpConformance.bytes(request, path);
        }

        /** Whether the first request of the case is a HEAD (its answer has no body). */
        public boolean head() {
            return request.startsWith("HEAD ");
        }
    }

    /** Every case of the table, in its order. */
    public static List<Case> table() {
        List<Case> cases = new ArrayList<>();
        String text;
        try (InputStream in = HttpConformance.class.getResourceAsStream("/http-conformance.txt")) {
            if (in == null) {
                throw new IllegalStateException("http-conformance.txt is not on the class path");
            }
            text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        for (String line : text.split("\n")) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            String[] f = line.split(" \\| ");
            if (f.length != 5 && f.length != 6) {
                throw new IllegalArgumentException("not 5 or 6 columns: " + line);
            }
            List<Integer> statuses = Stream.of(f[3].trim().split(" +")).map(Integer::valueOf).toList();
            String close = f[4].trim();
            if (!close.equals("close") && !close.equals("open")) {
                throw new IllegalArgumentException("the fifth column must be close or open: " + line);
            }
            Set<String> only = f.length == 6 ? Set.of(f[5].trim().split(" +")) : Set.of();
            if (!CONDITIONS.containsAll(only)) {
                throw new IllegalArgumentException("the last column may only hold " + CONDITIONS + ": " + line);
            }
            cases.add(new Case(f[0].trim(), f[1].trim(), f[2].trim(), statuses, close.equals("close"), only));
        }
        return cases;
    }

    private static final Pattern REPEAT = Pattern.compile("\\{(\\d+)\\*(.)}");

    /** The request bytes of a table entry (escapes as the table's header describes). */
    public static byte[] bytes(String spec, String path) {
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

    /** An HTTP/1.1 answer as read from the wire (header names in lower case). */
    public record Response(String statusLine, Map<String, String> headers, String body) {
        public int status() {
            return Integer.parseInt(statusLine.split(" ")[1]);
        }
    }

    /**
     * Reads one final answer (interim 1xx answers are skipped, RFC 9110 §15.2); {@code head}: the
     * request was HEAD, so the answer has no body whatever its framing says.
     */
    public static Response read(InputStream in, boolean head) throws IOException {
        while (true) {
            String statusLine = line(in);
            Map<String, String> headers = new HashMap<>();
            for (String h = line(in); !h.isEmpty(); h = line(in)) {
                int colon = h.indexOf(':');
                headers.put(h.substring(0, colon).trim().toLowerCase(Locale.ROOT), h.substring(colon + 1).trim());
            }
            int code = Integer.parseInt(statusLine.split(" ")[1]);
            if (code / 100 == 1) {
                continue;
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

    /** One line of an answer, without its CR LF; a line that does not end in CR LF is an error. */
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
        if (!s.endsWith("\r")) {
            throw new IOException("a line of the answer ends in a bare LF (RFC 9112 §2.2): " + s);
        }
        return s.substring(0, s.length() - 1);
    }
}
