package dev.forkline.supervisor;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Debian's Firefox ESR, headless, driven over WebDriver BiDi by Puppeteer (src/test/browser): Debian
 * 12 ships no geckodriver and these machines cannot download one, while Firefox speaks BiDi itself.
 * The Node bridge is installed once per build with {@code npm ci} from the committed lock file
 * (puppeteer-core only: no browser is downloaded) and answers one JSON line per command.
 */
final class FirefoxBrowser implements Browser {
    private static final Path SOURCES = Path.of("src", "test", "browser");
    private static final Path INSTALLED = Path.of("target", "browser");
    private static final long ANSWER_SECONDS = 60;

    private final Process node;
    private final OutputStream commands;
    private final BlockingQueue<String> answers = new LinkedBlockingQueue<>();
    private final Path profile;
    private int nextId = 1;

    /** {@code phone}: a 390 x 844 viewport at twice the pixel density (no touch emulation, unlike Chromium's). */
    FirefoxBrowser(boolean phone) throws Exception {
        Path bridge = install();
        profile = Files.createTempDirectory("forkline-firefox");
        ProcessBuilder pb = new ProcessBuilder(NeedsPrograms.Condition.find("node"), bridge.toString(),
                NeedsPrograms.Condition.find("firefox-esr"),
                Integer.toString(phone ? PHONE_WIDTH : 1280), Integer.toString(phone ? PHONE_HEIGHT : 1000),
                phone ? "mobile" : "desktop")
                .redirectError(ProcessBuilder.Redirect.INHERIT);
        pb.environment().put("FORKLINE_BROWSER_PROFILE", profile.toString());
        node = pb.start();
        commands = node.getOutputStream();
        Thread reader = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(node.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = in.readLine()) != null; ) {
                    answers.add(line);
                }
            } catch (IOException e) {
                answers.add(new JsonObject().put("ok", false).put("error", "bridge: " + e).encode());
            }
            answers.add(new JsonObject().put("ok", false).put("error", "the browser bridge exited").encode());
        }, "firefox-bridge");
        reader.setDaemon(true);
        reader.start();
        String version = (String) await(0);
        System.err.println("FirefoxBrowser: " + version);
    }

    /**
     * Copies the bridge to target/browser and installs its locked dependencies there, once per lock
     * file (a marker named after the lock's hash; a changed lock or a half-finished install installs
     * again). {@code --prefer-offline}: npm's cache serves a repeated install.
     */
    private static synchronized Path install() throws Exception {
        Files.createDirectories(INSTALLED);
        for (String f : List.of("package.json", "package-lock.json", "bidi-bridge.mjs")) {
            Files.copy(SOURCES.resolve(f), INSTALLED.resolve(f), StandardCopyOption.REPLACE_EXISTING);
        }
        String lockHash = java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
                .digest(Files.readAllBytes(SOURCES.resolve("package-lock.json")))).substring(0, 16);
        Path marker = INSTALLED.resolve(".installed-" + lockHash);
        if (!Files.exists(marker)) {
            Path log = INSTALLED.resolve("npm-ci.log");
            Process npm = new ProcessBuilder(NeedsPrograms.Condition.find("npm"), "ci", "--prefer-offline",
                    "--no-audit", "--no-fund", "--loglevel=error")
                    .directory(INSTALLED.toFile()).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            if (!npm.waitFor(5, TimeUnit.MINUTES)) {
                npm.descendants().forEach(ProcessHandle::destroyForcibly);
                npm.destroyForcibly();
                throw new IllegalStateException("npm ci in " + INSTALLED.toAbsolutePath() + " took over 5 minutes:\n"
                        + Files.readString(log));
            }
            if (npm.exitValue() != 0) {
                throw new IllegalStateException("npm ci in " + INSTALLED.toAbsolutePath() + " failed:\n" + Files.readString(log));
            }
            Files.writeString(marker, lockHash);
        }
        return INSTALLED.resolve("bidi-bridge.mjs").toAbsolutePath();
    }

    private synchronized Object call(String op, JsonObject fields) {
        int id = nextId++;
        try {
            commands.write((fields.put("id", id).put("op", op).encode() + "\n").getBytes(StandardCharsets.UTF_8));
            commands.flush();
            return await(id);
        } catch (IOException e) {
            throw new IllegalStateException("browser bridge: " + e, e);
        }
    }

    private Object await(int id) {
        try {
            while (true) {
                String line = answers.poll(ANSWER_SECONDS, TimeUnit.SECONDS);
                if (line == null) {
                    throw new IllegalStateException("no answer from Firefox in " + ANSWER_SECONDS + " s");
                }
                JsonObject answer = new JsonObject(line);
                Integer answered = answer.getInteger("id");
                if (answered != null && answered != id) {
                    continue; // an answer to a command given up on
                }
                if (!answer.getBoolean("ok", false)) {
                    throw new IllegalStateException("Firefox: " + answer.getString("error"));
                }
                return plain(answer.getValue("value"));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** JSON as WebDriver's executeScript returns it to Java: whole numbers as Long, lists, maps. */
    private static Object plain(Object v) {
        if (v instanceof JsonArray a) {
            List<Object> list = new ArrayList<>();
            a.forEach(x -> list.add(plain(x)));
            return list;
        }
        if (v instanceof JsonObject o) {
            Map<String, Object> map = new LinkedHashMap<>();
            o.forEach(e -> map.put(e.getKey(), plain(e.getValue())));
            return map;
        }
        if (v instanceof Number n && !(v instanceof Double || v instanceof Float)) {
            return n.longValue();
        }
        if (v instanceof Double d && d == Math.rint(d) && !Double.isInfinite(d) && Math.abs(d) < 1e15) {
            return d.longValue();
        }
        return v;
    }

    @Override
    public void get(String url) {
        call("goto", new JsonObject().put("url", url));
    }

    @Override
    public String currentUrl() {
        return (String) call("url", new JsonObject());
    }

    @Override
    public Object js(String script, Object... args) {
        return call("eval", new JsonObject().put("script", script).put("args", new JsonArray(List.of(args))));
    }

    @Override
    public void type(String id, String text) {
        call("type", new JsonObject().put("selector", "#" + id).put("text", text));
    }

    @Override
    public Path screenshot(String name) throws Exception {
        Path png = Screenshots.dir().resolve(name + "-firefox.png").toAbsolutePath();
        call("screenshot", new JsonObject().put("path", png.toString()));
        return png;
    }

    @Override
    @SuppressWarnings("unchecked")
    public List<String> consoleErrors() {
        List<String> errors = new ArrayList<>();
        for (Object e : (List<Object>) call("errors", new JsonObject())) {
            String message = String.valueOf(e);
            // The refused token, on purpose: the page's own 401, never another message with "401" in it.
            if (!(message.contains("401") && message.toLowerCase(java.util.Locale.ROOT).contains("unauthorized"))) {
                errors.add(message);
            }
        }
        return errors;
    }

    @Override
    public void close() throws Exception {
        try {
            commands.close(); // the bridge closes Firefox when its input ends
            if (!node.waitFor(20, TimeUnit.SECONDS)) {
                node.descendants().forEach(ProcessHandle::destroyForcibly);
                node.destroyForcibly();
            }
        } finally {
            try (var files = Files.walk(profile)) {
                files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        }
    }
}
