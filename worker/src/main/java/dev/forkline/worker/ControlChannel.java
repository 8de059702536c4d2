package dev.forkline.worker;

import dev.forkline.logging.StandardStreams;
import dev.forkline.protocol.ControlCodec;
import dev.forkline.protocol.ControlMessage;
import dev.forkline.protocol.LineReader;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The worker's end of the control channel: JSON lines to the supervisor on stdout, commands from
 * the supervisor on stdin. EOF on stdin means the supervisor is gone (even by SIGKILL, the kernel
 * closes the pipe), and the worker must not outlive it holding the port.
 */
final class ControlChannel {
    private static final Logger LOG = Logger.getLogger(ControlChannel.class.getName());

    private final OutputStream out;
    private final InputStream in;

    private ControlChannel(OutputStream out, InputStream in) {
        this.out = out;
        this.in = in;
    }

    /**
     * Takes stdout for the channel, and makes {@code System.out} and {@code System.err} log lines
     * ({@link StandardStreams}), so that a print from the application or any library lands in the
     * log, tagged with this worker, instead of corrupting the channel.
     */
    static ControlChannel stdio() {
        StandardStreams.capture();
        return new ControlChannel(new FileOutputStream(FileDescriptor.out), System.in);
    }

    /** Sends one message; safe from any thread. A broken pipe is ignored: stdin EOF handles that case. */
    void send(ControlMessage message) {
        byte[] line = (ControlCodec.encode(message) + "\n").getBytes(StandardCharsets.UTF_8);
        synchronized (out) {
            try {
                out.write(line);
                out.flush();
            } catch (IOException e) {
                LOG.log(Level.FINE, "control channel write failed", e);
            }
        }
    }

    /** Reads commands on a daemon thread until EOF, then runs {@code onEof}. */
    void listen(Consumer<ControlMessage> onCommand, Runnable onEof) {
        Thread t = new Thread(() -> {
            LineReader reader = new LineReader(in, ControlCodec.MAX_LINE);
            try {
                String line;
                while ((line = reader.readLine()) != null) {
                    if (line.isBlank()) {
                        continue;
                    }
                    try {
                        onCommand.accept(ControlCodec.decode(line));
                    } catch (ControlCodec.MalformedMessageException e) {
                        LOG.warning("ignored a malformed control command: " + e.getMessage());
                    }
                }
            } catch (IOException e) {
                LOG.log(Level.WARNING, "control channel read failed: " + e.getMessage());
            }
            onEof.run();
        }, "forkline-control");
        t.setDaemon(true);
        t.start();
    }
}
