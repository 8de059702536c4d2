package dev.forkline.bench;

import java.util.Comparator;
import java.util.Locale;
import java.util.Map;
import org.HdrHistogram.Histogram;

/** What a load run measured, in the measured window only (after the warm-up). */
record LoadResult(LoadOptions options, double rate, long completions, long errors, double seconds,
                  Histogram latencyMicros, Map<Long, Long> pids) {

    private static final double[] PERCENTILES = {50, 90, 99, 99.9};

    String text() {
        LoadOptions o = options;
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "%s %s:%d  %d connections, %d client threads%s, %.1f s after %d s of warm-up%n",
                o.mode().name().toLowerCase(Locale.ROOT), o.host(), o.port(), o.connections(), o.threads(),
                o.mode() == LoadOptions.Mode.REQ ? ", depth " + o.depth() : "", seconds, o.warmup().toSeconds()));
        if (o.mode() == LoadOptions.Mode.HOLD) {
            sb.append(String.format(Locale.ROOT, "held      %,d connections (opened at %,.0f connections/s), PING every %d ms on %d of them%n",
                    completions, rate, o.pingInterval().toMillis(), Math.min(o.sample(), completions)));
        } else {
            sb.append(String.format(Locale.ROOT, "rate      %,.0f %s/s%n", rate,
                    o.mode() == LoadOptions.Mode.GREET ? "connections" : "requests"));
        }
        sb.append(String.format(Locale.ROOT, "errors    %d%n", errors));
        sb.append("latency  ");
        for (double p : PERCENTILES) {
            sb.append(String.format(Locale.ROOT, " p%s %s", trim(p), millis(latencyMicros.getValueAtPercentile(p))));
        }
        sb.append(String.format(Locale.ROOT, "  max %s%n", millis(latencyMicros.getMaxValue())));
        long total = pids.values().stream().mapToLong(Long::longValue).sum();
        sb.append("pids     ");
        pids.entrySet().stream().sorted(Map.Entry.comparingByKey(Comparator.naturalOrder())).forEach(e ->
                sb.append(String.format(Locale.ROOT, " %d: %,d (%.1f %%)", e.getKey(), e.getValue(),
                        100.0 * e.getValue() / Math.max(1, total))));
        return sb.append('\n').toString();
    }

    String json() {
        StringBuilder sb = new StringBuilder("{");
        sb.append(String.format(Locale.ROOT, "\"mode\":\"%s\",\"host\":\"%s\",\"port\":%d,\"connections\":%d,\"threads\":%d,"
                        + "\"depth\":%d,\"seconds\":%.3f,\"rate\":%.1f,\"completions\":%d,\"errors\":%d,\"latency_us\":{",
                options.mode().name().toLowerCase(Locale.ROOT), options.host(), options.port(), options.connections(),
                options.threads(), options.depth(), seconds, rate, completions, errors));
        for (double p : PERCENTILES) {
            sb.append(String.format(Locale.ROOT, "\"p%s\":%d,", trim(p), latencyMicros.getValueAtPercentile(p)));
        }
        sb.append(String.format(Locale.ROOT, "\"max\":%d},\"pids\":{", latencyMicros.getMaxValue()));
        sb.append(String.join(",", pids.entrySet().stream().sorted(Map.Entry.comparingByKey())
                .map(e -> "\"" + e.getKey() + "\":" + e.getValue()).toList()));
        return sb.append("}}").toString();
    }

    private static String trim(double p) {
        return p == Math.rint(p) ? Long.toString((long) p) : Double.toString(p);
    }

    private static String millis(long micros) {
        return micros < 1000 ? micros + " us" : String.format(Locale.ROOT, "%.2f ms", micros / 1000.0);
    }
}
