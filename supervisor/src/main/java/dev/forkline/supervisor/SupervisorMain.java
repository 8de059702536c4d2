package dev.forkline.supervisor;

import dev.forkline.app.AppSpec;
import dev.forkline.config.ConfigException;
import dev.forkline.config.Setting;
import dev.forkline.logging.Log;
import dev.forkline.logging.Logs;
import dev.forkline.os.Signals;
import dev.forkline.os.ExitCodes;
import dev.forkline.http.GuardedTransport;
import io.vertx.core.Vertx;
import io.vertx.core.transport.Transport;
import io.vertx.core.VertxOptions;
import io.vertx.core.file.FileSystemOptions;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;

/** {@code java -jar forkline.jar}: read and check the configuration, then run the {@link Supervisor}. */
final class SupervisorMain {
    private static final Log LOG = Log.get(SupervisorMain.class);
    private static final Path MIGRATE_REQ = Path.of("/proc/sys/net/ipv4/tcp_migrate_req");

    private SupervisorMain() {
    }

    /** {@code forkline run}. */
    static int run() {
        return run(null);
    }

    /**
     * {@code forkline takeover [PID]}: as {@code run}, but joins the ports of the Forkline already
     * running on them (the one named, if any) and tells it to stop once our workers are ready
     * ({@link Takeover}).
     */
    static int takeover(OptionalLong named) {
        return run(named);
    }

    /** @param named null for {@code run}; for {@code takeover}, the pid named on its command line, if any */
    private static int run(OptionalLong named) {
        Logs.init("supervisor");
        // The admin API's HTTP server gets the same RFC 9112 guard as the workers' (HttpGuard).
        Vertx vertx = Vertx.builder().withTransport(GuardedTransport.of(Transport.NIO)).with(new VertxOptions()
                .setEventLoopPoolSize(1)
                .setWorkerPoolSize(1)
                .setFileSystemOptions(new FileSystemOptions()
                        .setFileCachingEnabled(false)
                        .setClassPathResolvingEnabled(false))).build();
        SupervisorConfig config;
        try {
            Map<String, String> values = ConfigLoader.load(vertx).toCompletionStage().toCompletableFuture()
                    .get(30, TimeUnit.SECONDS);
            warnAboutUnknownNames(values);
            config = SupervisorConfig.from(values);
            ProcessLauncher.checkJvmOptions(config);
        } catch (ConfigException e) {
            return configError(e);
        } catch (java.util.concurrent.ExecutionException e) {
            if (e.getCause() instanceof ConfigException c) {
                return configError(c);
            }
            LOG.error("config_error").log("cannot read the configuration: " + e.getCause());
            return ExitCodes.CONFIG;
        } catch (Exception e) {
            LOG.error("config_error").log("cannot read the configuration: " + e);
            return ExitCodes.CONFIG;
        }
        Logs.setLevel(config.logLevel());
        Logs.setFormat(config.logFormat());

        String listen = AdminConfig.hostPort(config.worker().host(), config.worker().port());
        Map<Takeover.Port, String> taken = takenPorts(config);
        if (taken == null) {
            return ExitCodes.CONFIG;
        }
        Takeover takeover = null;
        if (named != null) {
            Map<Takeover.Port, List<PortOwner.Listener>> held = new LinkedHashMap<>();
            taken.keySet().forEach(p -> held.put(p, PortOwner.listeners(p.port())));
            try {
                takeover = Takeover.plan(config, held, named);
            } catch (Takeover.Refused r) {
                LOG.error("takeover_refused").with("reason", r.getMessage()).log(r.getMessage());
                return ExitCodes.CONFIG;
            }
        } else if (!taken.isEmpty()) {
            return refuseTakenPorts(taken);
        }
        warnAboutConnectionMigration();
        if (config.app().isEmpty()) { // the checked settings are the built-in server's
            Capacity.warnings(config).forEach(w -> LOG.warn("capacity_warning").log(w));
        }
        if (config.app().isPresent()) {
            AppSpec app = config.app().get();
            String version = app.manifestAttribute("Implementation-Version");
            LOG.info("starting").with("workers", config.workers()).with("verticle", app.verticle())
                    .with("jar", app.jar().toString()).with("version", version)
                    .with("pid", ProcessHandle.current().pid())
                    .log("forkline starting " + config.workers() + (config.workers() == 1 ? " worker" : " workers") + " running " + app.verticle() + " from "
                            + app.jar() + (version != null ? " (version " + version + ")" : "")
                            + " (supervisor pid " + ProcessHandle.current().pid() + ")");
        } else {
            LOG.info("starting").with("workers", config.workers()).with("listen", listen)
                    .with("http_port", config.worker().httpPort()).with("pid", ProcessHandle.current().pid())
                    .log("forkline starting " + config.workers() + (config.workers() == 1 ? " worker" : " workers") + " on " + listen
                            + (config.worker().httpPort() != 0 ? " (HTTP on :" + config.worker().httpPort() + ")" : "")
                            + " (supervisor pid " + ProcessHandle.current().pid() + ")");
        }

        AppSnapshots apps = AppSnapshots.inTempDir();
        java.util.concurrent.BlockingQueue<Event> events = SupervisorLoop.queue();
        Reload.ConfigSource configSource = new Reload.ConfigSource() {
            @Override
            public String file() {
                return ConfigLoader.configFile();
            }

            @Override
            public SupervisorConfig load() throws Exception {
                SupervisorConfig next = SupervisorConfig.from(ConfigLoader.load(vertx).await(30, TimeUnit.SECONDS));
                ProcessLauncher.checkJvmOptions(next);
                return next;
            }
        };
        SupervisorLoop supervisor;
        try {
            supervisor = new SupervisorLoop(events, new Supervisor(config, Clock.SYSTEM,
                    new ProcessLauncher(events::add), configSource, apps, takeover != null ? takeover : PortGroup.ALONE));
        } catch (ConfigException e) {
            apps.close();
            return configError(e);
        } catch (java.io.UncheckedIOException e) {
            apps.close();
            LOG.error("app_copy_failed").with("reason", e.getMessage())
                    .log(e.getMessage() + " (set -Djava.io.tmpdir in JAVA_OPTS to a writable directory)");
            return ExitCodes.BOOT;
        }
        AdminConfig admin = config.admin();
        AdminServer adminServer = admin.enabled() ? AdminServer.create(vertx, admin, config.worker().http(), supervisor) : null;
        if (takeover != null && takeover.holdsAdminPort()) {
            // Bound once the old supervisor has released the port (its own admin port, so ours is enabled).
            takeover.adminListener(note -> listenAdmin(adminServer, admin, note));
        } else if (adminServer != null) {
            String why = listenAdmin(adminServer, admin, "");
            if (why != null) {
                LOG.error("port_taken").with("port", admin.port()).with("setting", "FORKLINE_ADMIN_PORT")
                        .log("cannot listen on " + AdminConfig.hostPort(admin.host(), admin.port()) + " for the admin API: "
                        + why + " (set FORKLINE_ADMIN_PORT to a free port, or 0 to turn the API off)");
                apps.close();
                return ExitCodes.BOOT;
            }
        }
        for (Event.Sig sig : Event.Sig.values()) {
            // Handlers only enqueue: the supervisor's loop thread does the work.
            Signals.handle(sig.name(), () -> supervisor.enqueue(new Event.SignalReceived(sig)));
        }
        try {
            return supervisor.run();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return ExitCodes.CRASH;
        }
    }

    /**
     * Tries every port Forkline will listen on before anything starts; returns those that are taken,
     * each with why, or null after logging a host that is not this machine's (exit 2).
     */
    private static Map<Takeover.Port, String> takenPorts(SupervisorConfig config) {
        String host = config.worker().host();
        List<Takeover.Port> ports = new ArrayList<>();
        // An application's ports are its own business: it opens them in the workers, all reuse-port
        // (a port held by another program fails the first worker's bind, which halts with its reason).
        if (config.app().isEmpty()) {
            ports.add(new Takeover.Port(host, config.worker().port(), "FORKLINE_PORT"));
            if (config.worker().httpPort() != 0) {
                ports.add(new Takeover.Port(host, config.worker().httpPort(), "FORKLINE_HTTP_PORT"));
            }
        }
        if (config.admin().enabled()) {
            ports.add(new Takeover.Port(config.admin().host(), config.admin().port(), "FORKLINE_ADMIN_PORT"));
        }
        Map<Takeover.Port, String> taken = new LinkedHashMap<>();
        for (Takeover.Port p : ports) {
            String busy = portInUse(p.host(), p.port());
            if (busy == null) {
                continue;
            }
            if (busy.contains("Cannot assign requested address")) {
                String variable = p.setting().equals("FORKLINE_ADMIN_PORT") ? "FORKLINE_ADMIN_HOST" : "FORKLINE_HOST";
                LOG.error("config_error").with("setting", variable)
                        .log(variable + "=" + p.host() + " is invalid: expected an address of this machine"
                                + " (0.0.0.0 for all of them): " + busy);
                return null;
            }
            taken.put(p, busy);
        }
        return taken;
    }

    /**
     * Reports every taken port in one line (exit 4), naming the Forkline that holds them when it is
     * one.
     */
    private static int refuseTakenPorts(Map<Takeover.Port, String> ports) {
        List<String> taken = new ArrayList<>();
        List<String> variables = new ArrayList<>();
        String why = null;
        Long owner = null;
        for (Map.Entry<Takeover.Port, String> p : ports.entrySet()) {
            taken.add(p.getKey().describe());
            variables.add(p.getKey().setting());
            why = p.getValue();
            if (owner == null) {
                owner = PortOwner.forklineSupervisor(p.getKey().port()).orElse(null);
            }
        }
        if (owner != null) {
            LOG.error("port_taken").with("ports", taken).with("settings", variables).with("forkline_pid", owner)
                    .log("Forkline is already running (supervisor pid " + owner + ") on " + String.join(", ", taken)
                            + ": stop it (forkline stop), replace it (forkline takeover) or set "
                            + String.join(", ", variables) + " to free ports");
        } else {
            LOG.error("port_taken").with("ports", taken).with("settings", variables).with("reason", why)
                    .log("cannot listen on " + String.join(", ", taken) + ": " + why
                            + " (another server holds " + (taken.size() == 1 ? "the port" : "them") + "; set "
                            + String.join(", ", variables) + " to free ports)");
        }
        return ExitCodes.BOOT;
    }

    /** Binds the admin API; null when it listens (logged, with {@code note}), else why not. */
    private static String listenAdmin(AdminServer server, AdminConfig admin, String note) {
        try {
            server.listen().await(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            return e.getMessage();
        }
        LOG.info("admin_listening").with("host", admin.host()).with("port", admin.port())
                .log("admin API on http://" + AdminConfig.hostPort(admin.host(), admin.port())
                        + (admin.token().isEmpty() ? "" : " (bearer token required)") + note);
        return null;
    }

    private static int configError(ConfigException e) {
        LOG.error("config_error").log(e.getMessage());
        return ExitCodes.CONFIG;
    }

    /**
     * Binds the port once without SO_REUSEPORT before any worker starts: workers bind with
     * SO_REUSEPORT, which would silently share the port with another Forkline (or any reuse-port
     * server of the same user) instead of failing as nginx does.
     */
    private static String portInUse(String host, int port) {
        try (ServerSocket probe = new ServerSocket()) {
            probe.setReuseAddress(true);
            probe.bind(new InetSocketAddress(host, port));
            return null;
        } catch (IOException e) {
            return e.getMessage();
        }
    }

    /**
     * Without net.ipv4.tcp_migrate_req=1 (Linux 5.14+), connections still in the accept queue of a
     * worker's listener when that worker exits or reloads are reset instead of being moved to a live
     * worker. The setting is per network namespace.
     */
    private static void warnAboutConnectionMigration() {
        try {
            String v = Capacity.readProc(MIGRATE_REQ).strip();
            if (!v.equals("1")) {
                LOG.warn("migrate_req_off").with("value", v)
                        .log("net.ipv4.tcp_migrate_req=" + v + ": connections queued on a worker that exits are reset,"
                        + " not moved to a live worker; to lose none: sysctl -w net.ipv4.tcp_migrate_req=1"
                        + " (Docker: --sysctl net.ipv4.tcp_migrate_req=1)");
            }
        } catch (IOException e) {
            LOG.warn("migrate_req_off").with("value", null)
                    .log("this kernel has no net.ipv4.tcp_migrate_req (Linux 5.14+): connections queued on a"
                    + " worker that exits are reset, not moved to a live worker");
        }
    }

    private static void warnAboutUnknownNames(Map<String, String> values) {
        for (String name : values.keySet()) {
            if (!Setting.isKnown(name)) {
                LOG.warn("unknown_setting").with("name", name)
                        .log(name + " is not a Forkline setting and is ignored (see the README for the list)");
            }
        }
    }
}
