package dev.forkline.supervisor;

import static org.assertj.core.api.Assertions.assertThat;

import dev.forkline.app.AppSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The version applications compile against is the one Forkline runs them on. */
class AppParentTest {

    @Test
    void theAppParentPinsTheVertxVersionForklineRuns() throws Exception {
        String pom = Files.readString(Path.of("..", "app-parent", "pom.xml"));
        Matcher m = Pattern.compile("<forkline.vertx.version>([^<]+)</forkline.vertx.version>").matcher(pom);
        assertThat(m.find()).isTrue();
        assertThat(m.group(1)).isEqualTo(AppSpec.vertxVersion(AppSpec.class.getClassLoader()));
        // and the README tells users the same version
        assertThat(Files.readString(Path.of("..", "README.md"))).contains("Forkline's Vert.x (**" + m.group(1) + "**)");
    }
}
