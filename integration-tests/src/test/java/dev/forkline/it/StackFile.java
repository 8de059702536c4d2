package dev.forkline.it;

import dev.forkline.config.ConfigException;
import dev.forkline.config.Setting;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;

/**
 * deploy/stack.yaml and deploy/haproxy/haproxy.cfg tied to the code and to each other: setting names
 * to {@link Setting}, the image and its health check script to deploy/Dockerfile, the proxy's
 * backend and check ports to the replicas' FORKLINE_PORT and FORKLINE_HTTP_PORT, the stop grace
 * period to FORKLINE_SHUTDOWN_TIMEOUT, and the two choices the zero-downtime update rests on
 * (endpoint_mode dnsrr, order start-first). The Compose schema itself is checked by
 * {@code docker stack deploy} in {@link SwarmRollingUpdateIT}. Each problem names the field.
 */
final class StackFile {
    private static final Pattern INTERPOLATION = Pattern.compile("\\$\\{([A-Z0-9_]+)(?::?-([^}]*))?}");
    private static final Pattern SERVER_TEMPLATE = Pattern.compile("^\\s*server-template\\s+\\S+\\s+\\d+\\s+tasks\\.([^:\\s]+):(\\d+)");
    private static final Pattern CHECK_PORT = Pattern.compile("\\bcheck port (\\d+)");
    private static final Pattern BIND = Pattern.compile("^\\s*bind\\s+\\S*:(\\d+)");
    private static final Pattern COMPOSE_DURATION = Pattern.compile("(\\d+(?:\\.\\d+)?)(ms|s|m|h)");

    private final List<String> problems = new ArrayList<>();

    private StackFile() {
    }

    static List<String> check(String stackYaml, String haproxyCfg, DockerfileFacts dockerfile) {
        StackFile s = new StackFile();
        s.run(stackYaml, haproxyCfg, dockerfile);
        return List.copyOf(s.problems);
    }

    private void problem(String file, String message) {
        problems.add(file + ": " + message);
    }

    /** A value as the stack is deployed with nothing set in the environment: ${NAME:-default} → default. */
    static String interpolate(Object value) {
        Matcher m = INTERPOLATION.matcher(String.valueOf(value));
        StringBuilder sb = new StringBuilder();
        while (m.find()) {
            m.appendReplacement(sb, Matcher.quoteReplacement(m.group(2) == null ? "" : m.group(2)));
        }
        return m.appendTail(sb).toString();
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Object o) {
        return o instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
    }

    private void run(String stackYaml, String haproxyCfg, DockerfileFacts dockerfile) {
        String file = "stack.yaml";
        Map<String, Object> services = map(map(new Load(LoadSettings.builder().build()).loadFromString(stackYaml)).get("services"));
        Map<String, Object> forkline = map(services.get("forkline"));
        if (forkline.isEmpty()) {
            problem(file, "services.forkline is missing (haproxy.cfg resolves tasks.forkline)");
            return;
        }
        String at = "services.forkline";

        String image = interpolate(forkline.get("image")).replaceAll(":[^:/]*$", "");
        if (!image.equals(dockerfile.imageName()) && !image.endsWith("/" + dockerfile.imageName())) {
            problem(file, at + ".image=" + forkline.get("image") + " is not the image deploy/Dockerfile builds ("
                    + dockerfile.imageName() + ")");
        }

        Map<String, String> effective = new TreeMap<>();
        for (Setting s : Setting.values()) {
            effective.put(s.variable(), s.defaultValue());
        }
        dockerfile.env().forEach((k, v) -> {
            if (k.startsWith("FORKLINE_")) {
                effective.put(k, v);
            }
        });
        Map<String, Object> environment = map(forkline.get("environment"));
        for (Setting s : Setting.values()) {
            if (!environment.containsKey(s.variable())) {
                problem(file, at + ".environment: " + s.variable() + " is missing (every setting is listed, with its"
                        + " default, as in compose.yaml)");
            }
        }
        environment.forEach((k, v) -> {
            if (k.startsWith("FORKLINE_") && Setting.byVariable(k).isEmpty()) {
                problem(file, at + ".environment." + k + ": not a Forkline setting (common/.../Setting.java, README)");
            }
            effective.put(k, interpolate(v));
        });
        int port;
        int httpPort;
        Duration shutdown;
        Duration drain;
        try {
            port = Setting.PORT.intIn(effective, 1, 65535);
            httpPort = Setting.HTTP_PORT.intIn(effective, 0, 65535);
            shutdown = Setting.SHUTDOWN_TIMEOUT.duration(effective, Duration.ZERO, Duration.ofHours(1));
            drain = Setting.DRAIN_TIMEOUT.duration(effective, Duration.ZERO, Duration.ofHours(1));
        } catch (ConfigException e) {
            problem(file, at + ".environment: " + e.getMessage());
            return;
        }

        Object test = map(forkline.get("healthcheck")).get("test");
        if (!(test instanceof List<?> cmd) || cmd.size() < 2 || !"CMD".equals(cmd.get(0))
                || dockerfile.sourceOf(String.valueOf(cmd.get(1))) == null) {
            problem(file, at + ".healthcheck.test=" + test + " must run a file deploy/Dockerfile puts in the image"
                    + " (exec form: [\"CMD\", path, ...])");
        }

        Duration grace = composeDuration(forkline.get("stop_grace_period"));
        if (grace == null || grace.compareTo(shutdown) <= 0) {
            problem(file, at + ".stop_grace_period=" + forkline.get("stop_grace_period") + " must exceed"
                    + " FORKLINE_SHUTDOWN_TIMEOUT=" + Setting.format(shutdown) + ", or Docker SIGKILLs the task while its workers drain");
        }
        if (drain.compareTo(shutdown) >= 0) {
            problem(file, at + ".environment.FORKLINE_DRAIN_TIMEOUT=" + Setting.format(drain)
                    + " must be below FORKLINE_SHUTDOWN_TIMEOUT=" + Setting.format(shutdown));
        }

        Map<String, Object> deploy = map(forkline.get("deploy"));
        if (!"dnsrr".equals(deploy.get("endpoint_mode"))) {
            problem(file, at + ".deploy.endpoint_mode=" + deploy.get("endpoint_mode") + " must be dnsrr: a virtual IP"
                    + " needs IPVS, and haproxy.cfg resolves the tasks' own addresses");
        }
        if (!"start-first".equals(map(deploy.get("update_config")).get("order"))) {
            problem(file, at + ".deploy.update_config.order=" + map(deploy.get("update_config")).get("order")
                    + " must be start-first: the new task serves before the old one stops");
        }

        // haproxy.cfg against the replicas' ports.
        Set<Integer> backendPorts = new HashSet<>();
        Set<Integer> binds = new HashSet<>();
        int lineNo = 0;
        for (String line : haproxyCfg.split("\n")) {
            lineNo++;
            Matcher st = SERVER_TEMPLATE.matcher(line);
            if (st.find()) {
                int p = Integer.parseInt(st.group(2));
                backendPorts.add(p);
                if (!services.containsKey(st.group(1))) {
                    problem("haproxy.cfg", "line " + lineNo + ": tasks." + st.group(1) + " is not a service of stack.yaml");
                }
                if (p != port && p != httpPort) {
                    problem("haproxy.cfg", "line " + lineNo + ": tasks." + st.group(1) + ":" + p + " is neither the replicas'"
                            + " FORKLINE_PORT=" + port + " nor FORKLINE_HTTP_PORT=" + httpPort + " (stack.yaml " + at + ".environment)");
                }
            }
            Matcher cp = CHECK_PORT.matcher(line);
            if (cp.find() && Integer.parseInt(cp.group(1)) != httpPort) {
                problem("haproxy.cfg", "line " + lineNo + ": check port " + cp.group(1) + " is not the replicas'"
                        + " FORKLINE_HTTP_PORT=" + httpPort + ", where the health check asks GET / (stack.yaml " + at + ".environment)");
            }
            Matcher b = BIND.matcher(line);
            if (b.find()) {
                binds.add(Integer.parseInt(b.group(1)));
            }
        }
        if (!backendPorts.contains(port)) {
            problem("haproxy.cfg", "no server-template sends to the replicas' FORKLINE_PORT=" + port);
        }
        Object proxyPorts = map(services.get("proxy")).get("ports");
        for (Object p : proxyPorts instanceof List<?> l ? l : List.of()) {
            Object target = map(p).get("target");
            if (target == null || !binds.contains(Integer.parseInt(String.valueOf(target)))) {
                problem(file, "services.proxy.ports[target=" + target + "] is no port haproxy.cfg binds " + binds);
            }
        }
    }

    /** A Compose duration (10s, 1m30s, 500ms); null when it is not one. */
    static Duration composeDuration(Object value) {
        if (value == null) {
            return null;
        }
        String v = interpolate(value);
        Matcher m = COMPOSE_DURATION.matcher(v);
        Duration d = Duration.ZERO;
        int end = 0;
        while (m.find() && m.start() == end) {
            double n = Double.parseDouble(m.group(1));
            d = d.plusMillis(Math.round(n * switch (m.group(2)) {
                case "ms" -> 1;
                case "m" -> 60_000;
                case "h" -> 3_600_000;
                default -> 1000;
            }));
            end = m.end();
        }
        return end == v.length() && end > 0 ? d : null;
    }
}
