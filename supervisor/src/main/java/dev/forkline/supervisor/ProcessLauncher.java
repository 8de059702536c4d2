package dev.forkline.supervisor;

import dev.forkline.app.AppSpec;
import dev.forkline.config.Setting;
import dev.forkline.logging.Log;
import dev.forkline.protocol.ControlCodec;
import dev.forkline.protocol.ControlMessage;
import dev.forkline.protocol.LineReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Starts worker JVMs. A JVM cannot fork, so, like Unicorn's {@code Process.spawn}, the supervisor
 * starts a fresh process: the same java binary and the same class path, with the worker's slot,
 * generation and validated settings in its environment. Its stdin and stdout are pipes (the control
 * channel); its stderr is the supervisor's, so logs of all processes arrive in one stream.
 */
final class ProcessLauncher implements Launcher {
    private static final Log LOG = Log.get(ProcessLauncher.class);

    /**
     * Chosen for a process that holds one event loop and little heap: a small serial-GC heap, exit
     * (and be respawned) rather than limp on after an OutOfMemoryError, no hsperfdata file, and class
     * data sharing when an archive is there but never required. HotSpot writes its own warnings to
     * stdout by default; stdout is the control channel, so they go to stderr.
     */
    static final List<String> DEFAULT_JVM_OPTIONS = List.of(
            "-XX:+UseSerialGC",
            "-Xms16m",
            "-Xmx128m",
            "-XX:+ExitOnOutOfMemoryError",
            "-XX:-UsePerfData",
            "-XX:+DisplayVMOutputToStderr",
            "-Xlog:disable",
            "-Xlog:all=warning:stderr",
            "-Xshare:auto");

    /**
     * Every few seconds, give freed malloc memory back to the OS (malloc_trim). The JIT compiles the
     * connection paths once a worker is busy, in arenas of glibc malloc that it frees but glibc keeps:
     * 21-50 MB of RSS per worker that NMT no longer counts (measured at 15 000 idle connections; a
     * manual {@code jcmd System.trim_native_heap} returned 25 MB). With this, a worker's RSS grows
     * 1.5 KB per idle connection instead of 2.9 KB (docs/SCALE.md). HotSpot 17.0.9+ and 21.0.1+ have
     * it; on a JVM without it the option is left out ({@link #TRIM_NATIVE_HEAP_SUPPORTED}).
     */
    static final String TRIM_NATIVE_HEAP = "-XX:TrimNativeHeapInterval=5000";

    /** Whether this JVM (the workers run the supervisor's own java) knows TrimNativeHeapInterval. */
    static final boolean TRIM_NATIVE_HEAP_SUPPORTED = supportsVmOption("TrimNativeHeapInterval");

    /** The AppCDS archive the build (or the image) makes for workers, next to the jar. */
    static final String CDS_ARCHIVE = "forkline-worker.jsa";

    private static final String WORKER_MAIN = "dev.forkline.worker.WorkerMain";

    private final Consumer<Event> events;

    ProcessLauncher(Consumer<Event> events) {
        this.events = events;
    }

    /** The worker's command line: the supervisor's own java and class path, so a reload runs the jar now on disk. */
    static List<String> command(SupervisorConfig config) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        // JDK 25's AOT cache (-XX:AOTCache in FORKLINE_WORKER_JVM_OPTS) replaces the AppCDS archive,
        // and HotSpot refuses it next to any -Xshare or SharedArchiveFile option ("Option AOTCache
        // cannot be used at the same time with -Xshare:auto ...": the worker would not start).
        boolean aotCache = config.workerJvmOptions().stream().anyMatch(o -> o.startsWith("-XX:AOTCache="));
        for (String o : DEFAULT_JVM_OPTIONS) {
            if (!(aotCache && o.startsWith("-Xshare"))) {
                cmd.add(o);
            }
        }
        if (TRIM_NATIVE_HEAP_SUPPORTED) {
            cmd.add(TRIM_NATIVE_HEAP);
        }
        if (!aotCache) {
            cdsArchive().ifPresent(a -> cmd.add("-XX:SharedArchiveFile=" + a));
        }
        cmd.addAll(config.workerJvmOptions()); // later options win in HotSpot
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(WORKER_MAIN);
        return cmd;
    }

    private static boolean supportsVmOption(String name) {
        try {
            java.lang.management.ManagementFactory.getPlatformMXBean(com.sun.management.HotSpotDiagnosticMXBean.class)
                    .getVMOption(name);
            return true;
        } catch (IllegalArgumentException | LinkageError e) {
            return false; // unknown option, or no jdk.management module
        }
    }

    /**
     * Runs {@code java <the workers' options> -version} once when FORKLINE_WORKER_JVM_OPTS is set: an
     * option HotSpot refuses would otherwise make every worker die before it prints anything, and
     * the supervisor would respawn them forever. Refused options are a configuration error.
     */
    static void checkJvmOptions(SupervisorConfig config) {
        if (config.workerJvmOptions().isEmpty()) {
            return;
        }
        List<String> cmd = new ArrayList<>(command(config));
        cmd.set(cmd.size() - 1, "-version"); // the class path stays: a CDS archive must match it under -Xshare:on
        String value = String.join(" ", config.workerJvmOptions());
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            if (!p.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return; // a slow machine: let the workers' own boot tell
            }
            if (p.exitValue() != 0) {
                String first = out.lines().filter(l -> !l.isBlank()).findFirst().orElse("exit code " + p.exitValue());
                throw new dev.forkline.config.ConfigException(dev.forkline.config.Setting.WORKER_JVM_OPTS.variable(),
                        value, "options this JVM accepts (java " + value + " -version: " + first.strip() + ")");
            }
        } catch (IOException e) {
            LOG.warn("jvm_options_unchecked").with("reason", e.getMessage())
                    .log("cannot check FORKLINE_WORKER_JVM_OPTS: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * The archive next to the jar, when the supervisor runs from a jar and one is there. Under
     * -Xshare:auto a stale archive (another JDK, a rebuilt jar) is ignored, never fatal.
     */
    static Optional<Path> cdsArchive() {
        String cp = System.getProperty("java.class.path");
        if (cp == null || cp.contains(File.pathSeparator) || !cp.endsWith(".jar")) {
            return Optional.empty();
        }
        Path archive = Path.of(cp).toAbsolutePath().resolveSibling(CDS_ARCHIVE);
        return Files.isRegularFile(archive) ? Optional.of(archive) : Optional.empty();
    }

    @Override
    public WorkerHandle spawn(int slot, Generation generation) throws IOException {
        SupervisorConfig config = generation.config();
        ProcessBuilder pb = new ProcessBuilder(command(config))
                .redirectInput(ProcessBuilder.Redirect.PIPE)
                .redirectOutput(ProcessBuilder.Redirect.PIPE)
                .redirectError(ProcessBuilder.Redirect.INHERIT);
        Map<String, String> env = pb.environment();
        // The worker gets the settings as the supervisor resolved them, not the file again.
        env.remove(ConfigLoader.CONFIG_FILE_VARIABLE);
        env.putAll(config.worker().toEnvironment());
        env.put("FORKLINE_LOG_LEVEL", config.logLevel().name().toLowerCase(Locale.ROOT));
        env.put("FORKLINE_LOG_FORMAT", config.logFormat().name().toLowerCase(Locale.ROOT));
        env.put("FORKLINE_SLOT", slot == STANDBY ? "standby" : Integer.toString(slot));
        env.put("FORKLINE_GENERATION", Integer.toString(generation.number()));
        // The generation's own copy of the application, never the file on disk now; and no
        // FORKLINE_APP* from the supervisor's environment when the built-in server runs.
        for (Setting s : List.of(Setting.APP, Setting.APP_VERTICLE, Setting.APP_CLASSPATH, Setting.APP_CONFIG)) {
            env.remove(s.variable());
        }
        if (config.app().isPresent()) {
            env.putAll(generation.app().orElseThrow(() ->
                    new IOException("no copy of the application for generation " + generation.number())).toEnvironment());
        }
        ProcessWorker worker = new ProcessWorker(pb.start());
        String name = (slot == STANDBY ? "standby" : "worker " + slot) + " pid " + worker.pid();
        Thread reader = new Thread(() -> {
            readControlChannel(worker.process.getInputStream(), worker, name, events);
            reportExit(worker, events);
        }, name.replace(' ', '-'));
        reader.setDaemon(true);
        reader.start();
        return worker;
    }

    /**
     * Reads a worker's messages until EOF and turns each into an event. A line that is too long or
     * not a message is logged and skipped, and reading goes on: a reader that stopped would leave
     * the worker blocked on a full pipe, its heartbeats stuck, and get it killed as hung.
     */
    static void readControlChannel(InputStream in, WorkerHandle worker, String name, Consumer<Event> events) {
        LineReader reader = new LineReader(in, ControlCodec.MAX_LINE);
        try {
            while (true) {
                String line;
                try {
                    line = reader.readLine();
                } catch (LineReader.LineTooLongException e) {
                    LOG.warn("bad_control_line").with("pid", worker.pid()).with("problem", e.getMessage())
                            .log(name + " sent a control line " + e.getMessage() + ": skipped");
                    if (!reader.skipLine()) {
                        return;
                    }
                    continue;
                }
                if (line == null) {
                    return;
                }
                try {
                    events.accept(event(worker, ControlCodec.decode(line)));
                } catch (ControlCodec.MalformedMessageException e) {
                    LOG.warn("bad_control_line").with("pid", worker.pid()).with("problem", e.getMessage())
                            .log(name + " sent a malformed control line (" + e.getMessage() + "): " + abbreviate(line));
                }
            }
        } catch (IOException e) {
            LOG.warn("control_channel_failed").with("pid", worker.pid()).with("problem", e.getMessage())
                    .log(name + ": control channel read failed: " + e.getMessage());
        }
    }

    /** A message from a worker as the event the supervisor handles. */
    static Event event(WorkerHandle worker, ControlMessage message) {
        if (message instanceof ControlMessage.Ready r) {
            return new Event.Ready(worker, r);
        } else if (message instanceof ControlMessage.Booted b) {
            return new Event.Booted(worker, b);
        } else if (message instanceof ControlMessage.Heartbeat h) {
            return new Event.Heartbeat(worker, h.stats(), h.sentNanos());
        } else if (message instanceof ControlMessage.Fatal f) {
            return new Event.Fatal(worker, f.exitCode(), f.reason());
        }
        return new Event.Unexpected(worker, message);
    }

    /** After EOF on its stdout: waits for the process and reports its exit, always after its last message. */
    private static void reportExit(ProcessWorker worker, Consumer<Event> events) {
        boolean interrupted = false;
        while (true) {
            try {
                events.accept(new Event.Exited(worker, worker.process.waitFor()));
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    private static String abbreviate(String s) {
        return s.length() <= 200 ? s : s.substring(0, 200) + "...";
    }

    /** A worker JVM: its stdin carries commands; signals through {@link Process}. */
    private static final class ProcessWorker implements WorkerHandle {
        final Process process;
        private final OutputStream stdin;

        ProcessWorker(Process process) {
            this.process = process;
            this.stdin = process.getOutputStream();
        }

        @Override
        public long pid() {
            return process.pid();
        }

        @Override
        public boolean send(ControlMessage command) {
            try {
                stdin.write((ControlCodec.encode(command) + "\n").getBytes(StandardCharsets.UTF_8));
                stdin.flush();
                return true;
            } catch (IOException e) {
                return false;
            }
        }

        @Override
        public void terminate() {
            process.destroy();
        }

        @Override
        public void kill() {
            process.destroyForcibly();
        }
    }
}
