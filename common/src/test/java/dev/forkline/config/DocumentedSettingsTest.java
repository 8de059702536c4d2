package dev.forkline.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The README's settings table and deploy/compose.yaml list exactly the settings Forkline reads,
 * each with its default: a setting added to {@link Setting} and forgotten in either fails here. And
 * the stop deadlines of Compose and systemd leave the supervisor its shutdown timeout, itself above
 * the drain timeout (the Kubernetes manifests and the Swarm stack: integration-tests).
 */
class DocumentedSettingsTest {
    /** The checkout's root: this module's parent directory (Maven runs tests in the module). */
    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    /** A README table row: | `FORKLINE_X` | `default` or nothing | meaning |. */
    private static final Pattern README_ROW = Pattern.compile("^\\| `(FORKLINE_[A-Z0-9_]+)` \\| (?:`([^`]*)` )?\\|");
    /** A Compose environment entry: FORKLINE_X: ${FORKLINE_X:-default}, or a fixed value. */
    private static final Pattern COMPOSE_ENTRY = Pattern.compile("^\\s+(FORKLINE_[A-Z0-9_]+): (.*)$");
    private static final Pattern COMPOSE_DEFAULT = Pattern.compile("\\$\\{(FORKLINE_[A-Z0-9_]+):-([^}]*)}");

    private static Map<String, String> settings() {
        return Arrays.stream(Setting.values()).collect(Collectors.toMap(Setting::variable, Setting::defaultValue,
                (a, b) -> a, TreeMap::new));
    }

    @Test
    void theReadmeTableListsEverySettingWithItsDefault() throws IOException {
        Map<String, String> documented = new TreeMap<>();
        for (Matcher m : lines("README.md", README_ROW)) {
            documented.put(m.group(1), m.group(2) == null ? "" : m.group(2));
        }
        documented.remove("FORKLINE_CONFIG"); // the file itself, not a setting it can hold
        assertThat(documented).isEqualTo(settings());
    }

    @Test
    void theComposeFileListsEverySettingWithItsDefault() throws IOException {
        Map<String, String> listed = new TreeMap<>();
        for (Matcher m : lines("deploy/compose.yaml", COMPOSE_ENTRY)) {
            Matcher d = COMPOSE_DEFAULT.matcher(m.group(2).strip());
            // Overridable: ${FORKLINE_X:-default}; fixed inside the container: the value itself.
            listed.put(m.group(1), d.matches() && d.group(1).equals(m.group(1)) ? d.group(2) : m.group(2).strip());
        }
        assertThat(listed).isEqualTo(settings());
    }

    @Test
    void composeAndSystemdWaitLongerThanTheShutdownTimeoutWhichWaitsLongerThanTheDrain() throws IOException {
        // Issue 10, defect 5: the defaults were 10 s each (a drain raced the SIGKILL), and the
        // Compose file and the unit patched them to 12 s; they now rely on the defaults.
        Map<String, String> unit = new TreeMap<>();
        lines("deploy/forkline.service", Pattern.compile("^Environment=(FORKLINE_[A-Z0-9_]+)=(.*)$"))
                .forEach(m -> unit.put(m.group(1), m.group(2)));
        Duration drain = Setting.DRAIN_TIMEOUT.duration(unit, Duration.ZERO, Duration.ofHours(1));
        Duration shutdown = Setting.SHUTDOWN_TIMEOUT.duration(unit, Duration.ZERO, Duration.ofHours(1));
        assertThat(shutdown).as("FORKLINE_SHUTDOWN_TIMEOUT under systemd").isGreaterThan(drain);
        assertThat(lines("deploy/forkline.service", Pattern.compile("^TimeoutStopSec=(\\S+)$")))
                .as("TimeoutStopSec of deploy/forkline.service").singleElement()
                .satisfies(m -> assertThat(duration(m.group(1))).isGreaterThan(shutdown)); // seconds, like ours

        // The Compose file's own defaults equal Setting's (the test above): these are the ones.
        Duration composeShutdown = Setting.SHUTDOWN_TIMEOUT.duration(Map.of(), Duration.ZERO, Duration.ofHours(1));
        assertThat(lines("deploy/compose.yaml", Pattern.compile("^\\s+stop_grace_period:\\s*(\\S+)")))
                .as("stop_grace_period of deploy/compose.yaml").singleElement()
                .satisfies(m -> assertThat(duration(m.group(1))).isGreaterThan(composeShutdown));
    }

    /** The lines of a file of the checkout on which {@code pattern} is found, as their matches. */
    private static List<Matcher> lines(String file, Pattern pattern) throws IOException {
        List<Matcher> found = new ArrayList<>();
        for (String line : Files.readAllLines(ROOT.resolve(file))) {
            Matcher m = pattern.matcher(line);
            if (m.find()) {
                found.add(m);
            }
        }
        return found;
    }

    /** "15s", "20": Compose's and systemd's durations here are in Forkline's own syntax. */
    private static Duration duration(String raw) {
        return Setting.SHUTDOWN_TIMEOUT.duration(Map.of(Setting.SHUTDOWN_TIMEOUT.variable(), raw.strip()),
                Duration.ZERO, Duration.ofHours(1));
    }
}
