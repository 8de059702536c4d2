package dev.forkline.supervisor;

import dev.forkline.config.ConfigException;
import dev.forkline.os.ExitCodes;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.PrintStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * {@code forkline status|top|reload|scale N|stop}: the operator's tool (nginx -s, pumactl), talking to a
 * running supervisor's admin API, found through the same FORKLINE_ADMIN_* settings. Each command
 * prints one readable result on stdout, or one line on stderr and a non-zero exit when it fails.
 */
final class AdminClient {
    /** Exit code when the supervisor cannot be reached or refuses the command. */
    static final int FAILED = 1;

    private final URI base;
    private final String token;
    private final PrintStream out;
    private final PrintStream err;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(3)).build();

    AdminClient(AdminConfig admin, PrintStream out, PrintStream err) {
        this.base = URI.create("http://" + AdminConfig.hostPort(admin.clientHost(), admin.port()));
        this.token = admin.token();
        this.out = out;
        this.err = err;
    }

    /** Runs one command; returns the process exit code. */
    static int main(String command, List<String> args) {
        AdminConfig admin;
        Vertx vertx = Vertx.vertx();
        try {
            Map<String, String> values = ConfigLoader.load(vertx).await(30, TimeUnit.SECONDS);
            admin = AdminConfig.from(values);
        } catch (ConfigException e) {
            System.err.println("forkline: " + e.getMessage());
            return ExitCodes.CONFIG;
        } catch (Exception e) {
            System.err.println("forkline: cannot read the configuration: " + e.getMessage());
            return ExitCodes.CONFIG;
        } finally {
            vertx.close();
        }
        if (!admin.enabled()) {
            System.err.println("forkline: the admin API is off (FORKLINE_ADMIN_PORT=0), so " + command
                    + " cannot reach the supervisor; use signals (README, Signals)");
            return FAILED;
        }
        return new AdminClient(admin, System.out, System.err).run(command, args);
    }

    int run(String command, List<String> args) {
        try {
            switch (command) {
                case "status" -> {
                    printStatus(new JsonObject(call("GET", "/status")));
                    return ExitCodes.OK;
                }
                case "reload" -> {
                    // On failure the supervisor's answer says how the reload ended (refused, abandoned) and why.
                    JsonObject r = new JsonObject(call("POST", "/reload?wait=1"));
                    out.println("reloaded to generation " + r.getInteger("generation") + " in "
                            + r.getLong("millis") + " ms");
                    return ExitCodes.OK;
                }
                case "scale" -> {
                    if (args.size() != 1 || !args.get(0).matches("\\d{1,4}")) {
                        err.println("forkline: usage: forkline scale N   (N workers, from 1 to " + SupervisorConfig.MAX_WORKERS + ")");
                        return ExitCodes.CONFIG;
                    }
                    JsonObject r = new JsonObject(call("POST", "/workers?count=" + args.get(0)));
                    out.println("scaling to " + r.getInteger("workers") + " workers");
                    return ExitCodes.OK;
                }
                case "stop" -> {
                    call("POST", "/stop");
                    out.println("stopping: workers drain, then the supervisor exits");
                    return ExitCodes.OK;
                }
                case "top" -> {
                    return Top.run(this, args, out, err);
                }
                default -> throw new IllegalArgumentException(command);
            }
        } catch (Failure f) {
            err.println("forkline: " + f.getMessage());
            return FAILED;
        }
    }

    /** The supervisor could not be reached, refused the token, or refused the request. */
    static class Failure extends Exception {
        Failure(String message) {
            super(message, null, false, false);
        }
    }

    /** The supervisor answered 401: the token is missing or wrong (it is still there). */
    static final class Unauthorized extends Failure {
        Unauthorized(String message) {
            super(message);
        }
    }

    /** The supervisor answered, and refused the request (409, 400, ...): it is still there. */
    static final class Refused extends Failure {
        Refused(String message) {
            super(message);
        }
    }

    /** One request to the supervisor's admin API, with the token; the answer whatever its status. */
    HttpResponse<String> send(String method, String path, Duration timeout) throws IOException, InterruptedException {
        HttpRequest.Builder req = HttpRequest.newBuilder(base.resolve(path))
                .timeout(timeout)
                .method(method, HttpRequest.BodyPublishers.noBody());
        if (!token.isEmpty()) {
            req.header("Authorization", "Bearer " + token);
        }
        return http.send(req.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** The base URI of the admin API, for messages. */
    URI base() {
        return base;
    }

    private String call(String method, String path) throws Failure {
        return call(method, path, Duration.ofMinutes(5)); // a reload waits for every slot
    }

    /** One request to the admin API; the body of a 200, or a Failure that says why not in one line. */
    String call(String method, String path, Duration timeout) throws Failure {
        HttpResponse<String> res;
        try {
            res = send(method, path, timeout);
        } catch (ConnectException e) {
            throw new Failure("cannot reach the supervisor at " + base + " (connection refused): is forkline"
                    + " running, and are FORKLINE_ADMIN_HOST/FORKLINE_ADMIN_PORT the ones it uses?");
        } catch (HttpTimeoutException e) {
            throw new Failure("the supervisor at " + base + " did not answer in time");
        } catch (IOException e) {
            throw new Failure("cannot reach the supervisor at " + base + ": " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Failure("interrupted");
        }
        if (res.statusCode() == 401) {
            throw new Unauthorized("the supervisor at " + base + " refused the request: missing or wrong FORKLINE_ADMIN_TOKEN");
        }
        if (res.statusCode() != 200) {
            String why;
            try {
                JsonObject error = new JsonObject(res.body());
                why = error.getString("error", res.body());
                JsonObject last = error.getJsonObject("last_reload");
                if (last != null && last.getString("outcome") != null && !why.contains(last.getString("reason", ""))) {
                    why += " (last reload: " + describeReload(last) + ")";
                }
            } catch (RuntimeException e) {
                why = res.body();
            }
            throw new Refused(why.strip() + " (HTTP " + res.statusCode() + ")");
        }
        return res.body();
    }

    private void printStatus(JsonObject s) {
        int standby = s.getInteger("standby_desired", 0);
        out.printf("forkline pid %d, %s, up %s, listening on %s, generation %d, %d/%d workers ready%s%n",
                s.getLong("pid"), s.getString("state"), human(s.getLong("uptime_ms")), s.getString("listen"),
                s.getInteger("generation"), countReady(s.getJsonArray("workers")), s.getInteger("workers_desired"),
                standby == 0 ? "" : ", " + countBooted(s.getJsonArray("workers")) + "/" + standby + " standby booted");
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"SLOT", "PID", "GEN", "STATE", "ROLE", "UPTIME", "RESTARTS", "CONNS", "REQUESTS", "LAST EXIT"});
        for (Object o : s.getJsonArray("workers")) {
            JsonObject w = (JsonObject) o;
            rows.add(new String[] {
                w.getInteger("slot") == null ? "-" : String.valueOf(w.getInteger("slot")), String.valueOf(w.getLong("pid")),
                String.valueOf(w.getInteger("generation")), w.getString("state"), w.getString("role"),
                human(w.getLong("uptime_ms")), String.valueOf(w.getInteger("restarts")),
                String.valueOf(w.getLong("connections", 0L)), String.valueOf(w.getLong("requests", 0L) + w.getLong("http_requests", 0L)),
                w.getString("last_exit", "")});
        }
        int[] width = new int[rows.get(0).length];
        for (String[] row : rows) {
            for (int i = 0; i < row.length; i++) {
                width[i] = Math.max(width[i], row[i].length());
            }
        }
        for (String[] row : rows) {
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < row.length; i++) {
                sb.append(String.format("%-" + width[i] + "s", row[i]));
                if (i < row.length - 1) {
                    sb.append("  ");
                }
            }
            out.println(sb.toString().stripTrailing());
        }
        JsonObject last = s.getJsonObject("last_reload");
        if (last != null) {
            out.println("last reload: " + describeReload(last));
        }
        if (s.getInteger("reloading_to") != null) {
            out.println(("rolling_back".equals(s.getString("state")) ? "rolling back to generation " : "reloading to generation ")
                    + s.getInteger("reloading_to"));
        }
        if (!s.getJsonArray("not_ready").isEmpty()) {
            out.println("not ready: " + String.join("; ", s.getJsonArray("not_ready").stream().map(String::valueOf).toList()));
        }
    }

    /** "generation 3 abandoned: worker 0 pid 4242 of generation 3 could not boot: ... (at ...)". */
    static String describeReload(JsonObject r) {
        String gen = r.getInteger("generation") == null ? "" : "generation " + r.getInteger("generation") + " ";
        String reason = r.getString("reason", "");
        // "refused: reload refused: ..." says it twice: the reason is told after the outcome.
        String outcome = r.getString("outcome", "");
        for (String said : new String[] {"reload " + outcome + ": ", "reload " + outcome + ", "}) {
            if (reason.startsWith(said)) {
                reason = reason.substring(said.length());
            }
        }
        return gen + r.getString("outcome") + (reason.isEmpty() ? "" : ": " + reason) + " (at " + r.getString("at") + ")";
    }

    private static long countReady(JsonArray workers) {
        return workers.stream().map(JsonObject.class::cast)
                .filter(w -> w.getString("role").equals("serving") && w.getString("state").equals("ready")).count();
    }

    private static long countBooted(JsonArray workers) {
        return workers.stream().map(JsonObject.class::cast)
                .filter(w -> w.getString("role").equals("standby") && w.getString("state").equals("booted")).count();
    }

    static String human(long millis) {
        long s = millis / 1000;
        if (s < 60) {
            return s + "s";
        }
        if (s < 3600) {
            return (s / 60) + "m" + (s % 60) + "s";
        }
        if (s < 86400) {
            return (s / 3600) + "h" + (s % 3600 / 60) + "m";
        }
        return (s / 86400) + "d" + (s % 86400 / 3600) + "h";
    }

}
