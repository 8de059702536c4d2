package dev.forkline.protocol;

import java.nio.charset.StandardCharsets;

/**
 * The fixed response lines of the protocol, encoded once. Every response line ends in CR LF.
 */
public final class Responses {
    public static final String CRLF = "\r\n";

    public static final byte[] PONG = line("PONG");
    public static final byte[] BYE = line("BYE");
    /** Sent to a connection beyond FORKLINE_MAX_CONNECTIONS, which is then closed. */
    public static final byte[] BUSY = line("ERR busy");

    private Responses() {
    }

    /** {@code ERR line too long (max N bytes)}: the request line exceeded FORKLINE_MAX_LINE; the connection is closed. */
    public static byte[] lineTooLong(int maxLine) {
        return line(lineTooLongText(maxLine));
    }

    public static String lineTooLongText(int maxLine) {
        return "ERR line too long (max " + maxLine + " bytes)";
    }

    /**
     * {@code ERR line timeout (30 s)}: a line was not complete FORKLINE_LINE_TIMEOUT after its first
     * byte (slowloris); the connection is closed.
     */
    public static byte[] lineTimeout(long timeoutMillis) {
        String t = timeoutMillis % 1000 == 0 ? timeoutMillis / 1000 + " s" : timeoutMillis + " ms";
        return line("ERR line timeout (" + t + ")");
    }

    /** The greeting and the PID response: the serving process's PID as decimal digits. */
    public static byte[] pid(long pid) {
        return line(Long.toString(pid));
    }

    /** Encodes one response line: UTF-8 text followed by CR LF. */
    public static byte[] line(String text) {
        return (text + CRLF).getBytes(StandardCharsets.UTF_8);
    }
}
