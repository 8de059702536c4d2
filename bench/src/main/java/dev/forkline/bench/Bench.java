package dev.forkline.bench;

import java.util.Arrays;

/**
 * {@code java -jar forkline-bench.jar greet|req [options]}: a load generator for line protocols
 * (Forkline, nginx stream, memcached). See {@link LoadOptions#USAGE}.
 */
public final class Bench {
    private Bench() {
    }

    public static void main(String[] args) throws Exception {
        LoadOptions options;
        try {
            options = LoadOptions.parse(Arrays.asList(args));
        } catch (IllegalArgumentException e) {
            System.err.println("forkline-bench: " + e.getMessage());
            System.err.print(LoadOptions.USAGE);
            System.exit(2);
            return;
        }
        // Progress goes to stderr, so that --json leaves stdout to the summary alone.
        if (options.control()) {
            new HoldGenerator(options, System.out, System.err).control();
            System.exit(0);
            return;
        }
        LoadResult result = options.mode() == LoadOptions.Mode.HOLD
                ? new HoldGenerator(options, System.out, System.err).run()
                : new LoadGenerator(options, System.err).run();
        System.out.print(options.json() ? result.json() + "\n" : result.text());
    }
}
