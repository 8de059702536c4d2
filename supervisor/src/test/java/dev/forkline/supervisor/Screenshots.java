package dev.forkline.supervisor;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Where the view tests save what they saw, and how a terminal screen becomes a picture.
 *
 * <p>Screenshots go to {@code target/screenshots}; with {@code -Dforkline.screenshots=DIR} to DIR
 * instead, which is how the README's pictures in docs/img are made:
 * {@code ./mvnw -pl supervisor -am verify -Dit.test='TopIT,DashboardIT' -Dtest=none
 * -Dsurefire.failIfNoSpecifiedTests=false -Dforkline.screenshots=$PWD/docs/img}.
 */
final class Screenshots {
    /** Chromium's flags that work on these machines (no network, root, no GPU). */
    static final List<String> CHROMIUM_FLAGS = List.of("--headless", "--no-sandbox", "--disable-gpu",
            "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
            "--disable-quic", "--hide-scrollbars");

    private Screenshots() {
    }

    static Path dir() throws IOException {
        String configured = System.getProperty("forkline.screenshots", "");
        Path dir = configured.isBlank() ? Path.of("target", "screenshots") : Path.of(configured);
        return Files.createDirectories(dir);
    }

    /**
     * Saves a terminal screen, as tmux captured it with its attributes, as a PNG: the text becomes an
     * HTML page (one span per run of attributes) that headless Chromium renders.
     */
    static Path terminal(String name, String screenWithAttributes, int columns, int rows) throws IOException {
        Path html = Files.createTempFile("forkline-terminal", ".html");
        Path profile = Files.createTempDirectory("forkline-chromium");
        Path png = dir().resolve(name + ".png");
        try {
            Files.writeString(html, TerminalHtml.page(screenWithAttributes));
            int width = (int) Math.ceil(columns * 8.45) + 24;
            int height = rows * 17 + 24;
            List<String> cmd = new java.util.ArrayList<>(List.of(NeedsPrograms.Condition.find("chromium")));
            cmd.addAll(CHROMIUM_FLAGS);
            cmd.addAll(List.of("--user-data-dir=" + profile, "--window-size=" + width + "," + height,
                    "--screenshot=" + png.toAbsolutePath(), html.toUri().toString()));
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .start();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException("chromium --screenshot did not finish within 60 s");
            }
            if (!Files.isRegularFile(png) || Files.size(png) == 0) {
                throw new IOException("chromium --screenshot wrote no " + png);
            }
            return png;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        } finally {
            Files.deleteIfExists(html);
            try (var files = Files.walk(profile)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        }
    }

    /** Text with SGR escape sequences (bold, faint, inverse, the 8 + 8 colours) to an HTML page. */
    static final class TerminalHtml {
        private static final Pattern SGR = Pattern.compile("\u001b\\[([0-9;]*)m");
        private static final String[] COLOURS = {"#1e1e1e", "#e06c75", "#98c379", "#e5c07b", "#61afef", "#c678dd",
            "#56b6c2", "#dcdfe4"};
        private static final String FG = "#dcdfe4";
        private static final String BG = "#1e1e1e";

        static String page(String screen) {
            StringBuilder body = new StringBuilder();
            Matcher m = SGR.matcher(screen);
            int at = 0;
            boolean bold = false;
            boolean faint = false;
            boolean inverse = false;
            String fg = null;
            String bg = null;
            while (true) {
                boolean found = m.find();
                String text = screen.substring(at, found ? m.start() : screen.length());
                if (!text.isEmpty()) {
                    String f = fg == null ? FG : fg;
                    String b = bg == null ? BG : bg;
                    if (inverse) {
                        String t = f;
                        f = b;
                        b = t;
                    }
                    body.append("<span style=\"color:").append(f).append(";background:").append(b)
                            .append(bold ? ";font-weight:bold" : "").append(faint ? ";opacity:.6" : "").append("\">")
                            .append(escape(text)).append("</span>");
                }
                if (!found) {
                    break;
                }
                String[] codes = m.group(1).isEmpty() ? new String[] {"0"} : m.group(1).split(";");
                for (int i = 0; i < codes.length; i++) {
                    int c = codes[i].isEmpty() ? 0 : Integer.parseInt(codes[i]);
                    switch (c) {
                        case 0 -> {
                            bold = false;
                            faint = false;
                            inverse = false;
                            fg = null;
                            bg = null;
                        }
                        case 1 -> bold = true;
                        case 2 -> faint = true;
                        case 22 -> {
                            bold = false;
                            faint = false;
                        }
                        case 7 -> inverse = true;
                        case 27 -> inverse = false;
                        case 39 -> fg = null;
                        case 49 -> bg = null;
                        case 38, 48 -> i = codes.length; // 256 or true colour: not used by top; ignore the rest
                        default -> {
                            if (c >= 30 && c <= 37) {
                                fg = COLOURS[c - 30];
                            } else if (c >= 90 && c <= 97) {
                                fg = COLOURS[c - 90];
                            } else if (c >= 40 && c <= 47) {
                                bg = COLOURS[c - 40];
                            } else if (c >= 100 && c <= 107) {
                                bg = COLOURS[c - 100];
                            }
                        }
                    }
                }
                at = m.end();
            }
            return "<!doctype html><meta charset=\"utf-8\"><style>body{margin:0;background:" + BG + "}"
                    + "pre{margin:12px;font:14px/17px 'DejaVu Sans Mono',monospace;color:" + FG + "}</style>"
                    + "<pre>" + body + "</pre>";
        }

        private static String escape(String s) {
            return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
        }
    }
}
