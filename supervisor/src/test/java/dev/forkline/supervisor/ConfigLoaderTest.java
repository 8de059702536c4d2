package dev.forkline.supervisor;

import dev.forkline.config.ConfigException;
import dev.forkline.config.WorkerConfig;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.Vertx;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Sources and their order. Environment variables are covered by the process tests (a JVM cannot set
 * its own); here: the file named by FORKLINE_CONFIG and system properties over it.
 */
class ConfigLoaderTest {
    private Vertx vertx;

    @BeforeEach
    void start() {
        vertx = Vertx.vertx();
    }

    @AfterEach
    void stop() throws Exception {
        System.clearProperty("FORKLINE_CONFIG");
        System.clearProperty("FORKLINE_PORT");
        vertx.close().await(5, TimeUnit.SECONDS);
    }

    private Map<String, String> load() throws Exception {
        return ConfigLoader.load(vertx).await(5, TimeUnit.SECONDS);
    }

    @Test
    void readsAJsonFileAndKeepsValuesAsWritten(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("forkline.json");
        Files.writeString(file, "{\"FORKLINE_PORT\": 4100, \"FORKLINE_DRAIN_TIMEOUT\": \"0.5\", \"OTHER\": 1}");
        System.setProperty("FORKLINE_CONFIG", file.toString());

        Map<String, String> values = load();

        assertThat(values).containsEntry("FORKLINE_PORT", "4100").containsEntry("FORKLINE_DRAIN_TIMEOUT", "0.5")
                .doesNotContainKey("OTHER");
        assertThat(WorkerConfig.from(values).port()).isEqualTo(4100);
    }

    @Test
    void readsAPropertiesFileAndSystemPropertiesOverrideIt(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("forkline.properties");
        Files.writeString(file, "FORKLINE_PORT=4200\nFORKLINE_MAX_LINE=0100\n");
        System.setProperty("FORKLINE_CONFIG", file.toString());
        System.setProperty("FORKLINE_PORT", "4300");

        Map<String, String> values = load();

        assertThat(values).containsEntry("FORKLINE_PORT", "4300").containsEntry("FORKLINE_MAX_LINE", "0100");
    }

    @Test
    void refusesAFileItCannotReadOrParse(@TempDir Path dir) throws Exception {
        System.setProperty("FORKLINE_CONFIG", dir.resolve("missing.json").toString());
        assertThatThrownBy(this::load).isInstanceOf(ConfigException.class)
                .hasMessageContaining("FORKLINE_CONFIG=").hasMessageContaining("expected a readable");

        Path yaml = dir.resolve("forkline.yaml");
        Files.writeString(yaml, "port: 1");
        System.setProperty("FORKLINE_CONFIG", yaml.toString());
        assertThatThrownBy(this::load).hasMessageContaining("expected a file ending in .json or .properties");

        Path broken = dir.resolve("broken.json");
        Files.writeString(broken, "{ not json");
        System.setProperty("FORKLINE_CONFIG", broken.toString());
        assertThatThrownBy(this::load).isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("cannot read the configuration");
    }
}
