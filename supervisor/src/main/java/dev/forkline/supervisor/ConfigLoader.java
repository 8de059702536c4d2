package dev.forkline.supervisor;

import dev.forkline.config.ConfigException;
import dev.forkline.config.Setting;

import io.vertx.config.ConfigRetriever;
import io.vertx.config.ConfigRetrieverOptions;
import io.vertx.config.ConfigStoreOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;

/**
 * Reads the raw settings through vertx-config. Later sources override earlier ones:
 * <ol>
 *   <li>environment variables;</li>
 *   <li>the file named by FORKLINE_CONFIG, if set ({@code .json}, or {@code .properties});</li>
 *   <li>system properties ({@code -DFORKLINE_PORT=4000}).</li>
 * </ol>
 * All sources use the same names (FORKLINE_PORT, ...). Only FORKLINE_* names are kept.
 */
final class ConfigLoader {
    static final String CONFIG_FILE_VARIABLE = "FORKLINE_CONFIG";

    private ConfigLoader() {
    }

    /** The file FORKLINE_CONFIG names (a system property over the environment), or null. */
    static String configFile() {
        String file = System.getProperty(CONFIG_FILE_VARIABLE, System.getenv(CONFIG_FILE_VARIABLE));
        return file == null || file.isBlank() ? null : file.strip();
    }

    static Future<Map<String, String>> load(Vertx vertx) {
        ConfigRetrieverOptions options = new ConfigRetrieverOptions()
                .setIncludeDefaultStores(false)
                .setScanPeriod(0)
                .addStore(new ConfigStoreOptions().setType("env").setConfig(raw()));
        String file = System.getProperty(CONFIG_FILE_VARIABLE, System.getenv(CONFIG_FILE_VARIABLE));
        if (file != null && !file.isBlank()) {
            Path path = Path.of(file.strip());
            if (!Files.isReadable(path)) {
                return Future.failedFuture(new ConfigException(CONFIG_FILE_VARIABLE, file,
                        "a readable .json or .properties file"));
            }
            String name = path.getFileName().toString().toLowerCase(Locale.ROOT);
            String format;
            if (name.endsWith(".json")) {
                format = "json";
            } else if (name.endsWith(".properties")) {
                format = "properties";
            } else {
                return Future.failedFuture(new ConfigException(CONFIG_FILE_VARIABLE, file,
                        "a file ending in .json or .properties"));
            }
            options.addStore(new ConfigStoreOptions().setType("file").setFormat(format)
                    .setConfig(raw().put("path", path.toString())));
        }
        options.addStore(new ConfigStoreOptions().setType("sys").setConfig(raw().put("cache", false)));

        String source = file == null || file.isBlank() ? "" : " (FORKLINE_CONFIG=" + file.strip() + ")";
        ConfigRetriever retriever = ConfigRetriever.create(vertx, options);
        return retriever.getConfig()
                .recover(e -> Future.failedFuture(new ConfigException(
                        "cannot read the configuration" + source + ": " + e.getMessage())))
                .map(ConfigLoader::forklineOnly)
                .eventually(retriever::close);
    }

    /** Keeps the FORKLINE_* entries, each as the text an operator would have written. */
    static Map<String, String> forklineOnly(JsonObject json) {
        return Setting.forklineOnly(json.getMap());
    }

    private static JsonObject raw() {
        // raw-data keeps "0.5" or "0010" as written instead of turning them into JSON numbers.
        return new JsonObject().put("raw-data", true);
    }
}
