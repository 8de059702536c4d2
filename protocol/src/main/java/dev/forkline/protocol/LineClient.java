package dev.forkline.protocol;

import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A small blocking client for the Forkline line protocol, for tests, tools and users.
 *
 * <pre>{@code
 * try (LineClient c = LineClient.connect("127.0.0.1", 3000)) {
 *     long pid = c.serverPid();       // from the greeting
 *     String pong = c.send("PING");   // "PONG"
 * }
 * }</pre>
 *
 * <p>Not thread-safe: use one client per thread.
 */
public final class LineClient implements Closeable {
    /** Responses are short; INFO is the longest. A longer line means we are not talking to Forkline. */
    private static final int MAX_RESPONSE = 64 * 1024;
    private static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);

    private final Socket socket;
    private final OutputStream out;
    private final LineReader reader;
    private final String greeting;

    private LineClient(Socket socket, String greeting, LineReader reader) throws IOException {
        this.socket = socket;
        this.out = socket.getOutputStream();
        this.reader = reader;
        this.greeting = greeting;
    }

    /** Connects and reads the greeting, with a 10 s connect and read timeout. */
    public static LineClient connect(String host, int port) throws IOException {
        return connect(host, port, DEFAULT_TIMEOUT);
    }

    /**
     * Connects and reads the greeting line. {@code timeout} bounds the connect and every later read.
     *
     * @throws IOException if the connection fails or the server closes it before greeting
     *     (for instance after {@code ERR busy}, which is then the exception's message)
     */
    public static LineClient connect(String host, int port, Duration timeout) throws IOException {
        Socket s = new Socket();
        try {
            s.setTcpNoDelay(true);
            s.connect(new InetSocketAddress(host, port), (int) timeout.toMillis());
            s.setSoTimeout((int) timeout.toMillis());
            LineReader r = new LineReader(s.getInputStream(), MAX_RESPONSE);
            String greeting = r.readLine();
            if (greeting == null) {
                throw new EOFException("connection closed before the greeting");
            }
            if (greeting.startsWith("ERR")) {
                throw new IOException(greeting);
            }
            return new LineClient(s, greeting, r);
        } catch (IOException | RuntimeException e) {
            s.close();
            throw e;
        }
    }

    /** The greeting line: the PID of the worker that accepted this connection. */
    public String greeting() {
        return greeting;
    }

    /** The PID of the serving worker, parsed from the greeting. */
    public long serverPid() {
        return Long.parseLong(greeting);
    }

    /** Sends one request line and returns the response line. */
    public String send(String request) throws IOException {
        out.write((request + "\r\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
        return readResponse();
    }

    /** Writes all requests in one write (pipelining), then reads one response per request, in order. */
    public List<String> pipeline(List<String> requests) throws IOException {
        StringBuilder sb = new StringBuilder();
        for (String r : requests) {
            sb.append(r).append("\r\n");
        }
        out.write(sb.toString().getBytes(StandardCharsets.UTF_8));
        out.flush();
        List<String> responses = new ArrayList<>(requests.size());
        for (int i = 0; i < requests.size(); i++) {
            responses.add(readResponse());
        }
        return responses;
    }

    /** Writes raw bytes as they are (no line ending added): for tests of framing and hostile input. */
    public void writeRaw(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
    }

    /** Reads one response line; {@link EOFException} if the server closed the connection. */
    public String readResponse() throws IOException {
        String line = reader.readLine();
        if (line == null) {
            throw new EOFException("connection closed by the server");
        }
        return line;
    }

    /** Whether the server has closed its side: reads until EOF, at most until the read timeout. */
    public boolean awaitClosedByServer() throws IOException {
        try {
            return reader.readLine() == null;
        } catch (IOException e) {
            return isReset(e);
        }
    }

    /** Sends {@code QUIT}, expects {@code BYE}, and closes. */
    public void quit() throws IOException {
        try {
            String bye = send("QUIT");
            if (!"BYE".equals(bye)) {
                throw new IOException("expected BYE, got " + bye);
            }
        } finally {
            close();
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }

    private static boolean isReset(IOException e) {
        String m = e.getMessage();
        return m != null && m.contains("Connection reset");
    }
}
