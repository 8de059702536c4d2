package dev.forkline.bench;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;

/**
 * Turns bench/compare.sh's results (figure, system, rate, errors, json per run) into the Markdown
 * table of docs/BENCHMARKS.md (on stdout) and a PNG chart of the ratios against their targets.
 * {@code java -cp forkline-bench.jar dev.forkline.bench.Report results.tsv chart.png}
 */
public final class Report {
    /**
     * What Forkline is compared with, and the ratio it aims at (issue: performance). The peer's
     * figure is {@code peerKey} (figure/system in results.tsv); a target of NaN marks a cost being
     * measured (HTTP/2 against HTTP/1.1 on the same workers), which no ratio meets or misses.
     */
    record Comparison(String figure, String label, String peer, double target, String peerKey) {
        Comparison(String figure, String label, String peer, double target) {
            this(figure, label, peer, target, figure + "/" + peer);
        }

        boolean isCost() {
            return Double.isNaN(target);
        }
    }

    static final List<Comparison> COMPARISONS = List.of(
            new Comparison("greet-64", "greet-and-close, 64 connections", "nginx", 1.0),
            new Comparison("req-d1-256", "req depth 1, 256 connections", "memcached", 1.0),
            new Comparison("req-d64-256", "req depth 64, 256 connections", "memcached", 1.0),
            new Comparison("http-keepalive", "HTTP keep-alive, wrk -t2 -c128", "nginx", 1.0),
            new Comparison("greet-64", "greet-and-close, 64 connections", "single-jvm", 1.0),
            new Comparison("req-d1-256", "req depth 1, 256 connections", "single-jvm", 1.0),
            new Comparison("greet-64-c", "greet-and-close, 64 connections, C epoll client", "nginx", 1.0),
            // Not Forkline against a peer: forkline-bench against a minimal C epoll client, both
            // greeting nginx. Near 1.0 means forkline-bench drives the server as hard as a C client.
            new Comparison("client-check", "client check: forkline-bench / C client, greet to nginx", "c-client", 0.9),
            // The cost of HTTP/2 cleartext (FORKLINE_HTTP2=true): the same two workers, h2load both ways.
            new Comparison("h2c-m10", "HTTP/2 h2c, 10 streams per connection, h2load -c64", "HTTP/1.1, 10 pipelined", Double.NaN, "h1-m10/forkline"),
            new Comparison("h2c-m1", "HTTP/2 h2c, 1 stream per connection, h2load -c64", "HTTP/1.1", Double.NaN, "h1-h2c/forkline"),
            new Comparison("h1-h2c", "HTTP/1.1 with FORKLINE_HTTP2=true, h2load --h1 -c64", "FORKLINE_HTTP2=false", Double.NaN, "h1/forkline"));

    private static final Pattern P99 = Pattern.compile("\"p99\":(\\d+)");

    /** The mean rate, and the mean p99 latency when known, of one system in one figure. */
    record Measure(double rate, double p99Micros, long errors, int runs) {
    }

    private Report() {
    }

    public static void main(String[] args) throws IOException {
        System.setProperty("java.awt.headless", "true");
        Map<String, Measure> measures = read(Path.of(args[0]));
        List<Row> rows = rows(measures);
        System.out.print(table(rows));
        chart(rows, Path.of(args[1]));
    }

    record Row(Comparison c, Measure forkline, Measure peer) {
        double ratio() {
            return forkline.rate() / peer.rate();
        }

        boolean met() {
            return c.isCost() || ratio() >= c.target();
        }
    }

    static Map<String, Measure> read(Path tsv) throws IOException {
        Map<String, List<String[]>> runs = new LinkedHashMap<>();
        for (String line : Files.readAllLines(tsv)) {
            String[] f = line.split("\t", 5);
            if (f.length >= 4 && !f[2].isBlank()) {
                runs.computeIfAbsent(f[0] + "/" + f[1], k -> new ArrayList<>()).add(f);
            }
        }
        Map<String, Measure> out = new LinkedHashMap<>();
        runs.forEach((key, list) -> {
            double rate = list.stream().mapToDouble(f -> Double.parseDouble(f[2])).average().orElse(0);
            long errors = list.stream().mapToLong(f -> Long.parseLong(f[3])).sum();
            double p99 = list.stream().mapToDouble(f -> {
                Matcher m = P99.matcher(f.length > 4 ? f[4] : "");
                return m.find() ? Double.parseDouble(m.group(1)) : Double.NaN;
            }).average().orElse(Double.NaN);
            out.put(key, new Measure(rate, p99, errors, list.size()));
        });
        return out;
    }

    static List<Row> rows(Map<String, Measure> measures) {
        List<Row> rows = new ArrayList<>();
        for (Comparison c : COMPARISONS) {
            Measure f = measures.get(c.figure() + "/forkline");
            Measure p = measures.get(c.peerKey());
            if (f != null && p != null) {
                rows.add(new Row(c, f, p));
            }
        }
        return rows;
    }

    static String table(List<Row> rows) {
        StringBuilder sb = new StringBuilder();
        sb.append("| figure | peer | forkline /s | peer /s | ratio | target | | forkline p99 | peer p99 |\n");
        sb.append("|---|---|---:|---:|---:|---:|---|---:|---:|\n");
        for (Row r : rows) {
            sb.append(String.format(Locale.ROOT, "| %s | %s | %,.0f | %,.0f | **%.2f** | %s | %s | %s | %s |%n",
                    r.c().label(), r.c().peer(), r.forkline().rate(), r.peer().rate(), r.ratio(),
                    r.c().isCost() ? "(a cost)" : String.format(Locale.ROOT, "≥ %.1f", r.c().target()),
                    r.c().isCost() ? "" : r.met() ? "met" : "missed", ms(r.forkline().p99Micros()), ms(r.peer().p99Micros())));
        }
        long errors = rows.stream().mapToLong(r -> r.forkline().errors() + r.peer().errors()).sum();
        sb.append(String.format(Locale.ROOT, "%nErrors over all measured runs: %d. Rates are the mean of %d run(s) per system.%n",
                errors, rows.isEmpty() ? 0 : rows.get(0).forkline().runs()));
        return sb.toString();
    }

    private static String ms(double micros) {
        return Double.isNaN(micros) ? "" : String.format(Locale.ROOT, "%.2f ms", micros / 1000);
    }

    /** A horizontal bar per comparison: the ratio, with the target as a dashed line. */
    static void chart(List<Row> rows, Path png) throws IOException {
        int width = 960;
        int barH = 34;
        int top = 56;
        int left = 360;
        int right = 60;
        int height = top + rows.size() * (barH + 14) + 50;
        double max = Math.max(2.0, rows.stream().mapToDouble(Row::ratio).max().orElse(1) * 1.1);
        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, width, height);
        g.setColor(Color.DARK_GRAY);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 17));
        g.drawString("Forkline / peer throughput (higher is better; dashed: target; blue: a cost)", 20, 30);
        int plotW = width - left - right;
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
        for (int x = 0; x <= (int) Math.floor(max * 2); x++) {
            double v = x / 2.0;
            int px = left + (int) (plotW * v / max);
            g.setColor(new Color(230, 230, 230));
            g.drawLine(px, top - 8, px, height - 40);
            g.setColor(Color.GRAY);
            g.drawString(String.format(Locale.ROOT, "%.1f", v), px - 9, height - 22);
        }
        int y = top;
        for (Row r : rows) {
            g.setColor(Color.DARK_GRAY);
            g.drawString(r.c().label(), 20, y + 14);
            g.drawString("vs " + r.c().peer(), 20, y + 30);
            int w = (int) (plotW * Math.min(r.ratio(), max) / max);
            g.setColor(r.c().isCost() ? new Color(90, 110, 160) : r.met() ? new Color(46, 139, 87) : new Color(200, 70, 50));
            g.fillRect(left, y, w, barH);
            g.setColor(Color.BLACK);
            g.drawString(String.format(Locale.ROOT, "%.2f", r.ratio()), left + w + 6, y + 22);
            if (!r.c().isCost()) {
                int tx = left + (int) (plotW * r.c().target() / max);
                g.setStroke(new BasicStroke(2f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[] {5f, 4f}, 0f));
                g.drawLine(tx, y - 4, tx, y + barH + 4);
                g.setStroke(new BasicStroke(1f));
            }
            y += barH + 14;
        }
        g.dispose();
        ImageIO.write(img, "png", png.toFile());
    }
}
