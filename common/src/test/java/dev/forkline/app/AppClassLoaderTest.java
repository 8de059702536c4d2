package dev.forkline.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.OutputStream;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AppClassLoaderTest {
    private static final ClassLoader PARENT = AppClassLoaderTest.class.getClassLoader();

    private static Path jar(Path dir, Map<String, byte[]> entries) throws IOException {
        Path jar = dir.resolve("app.jar");
        try (OutputStream os = Files.newOutputStream(jar); JarOutputStream out = new JarOutputStream(os, new Manifest())) {
            for (Map.Entry<String, byte[]> e : entries.entrySet()) {
                out.putNextEntry(new JarEntry(e.getKey()));
                out.write(e.getValue());
                out.closeEntry();
            }
        }
        return jar;
    }

    private static AppClassLoader loader(Path jar) throws IOException {
        return new AppClassLoader(List.of(jar.toUri().toURL()), PARENT);
    }

    @Test
    void vertxNettyAndJacksonCoreComeFromForklineEvenWhenTheAppBundlesThem(@TempDir Path dir) throws Exception {
        // Garbage bytes: had the app's copy been tried first, defining it would fail.
        byte[] garbage = {1, 2, 3};
        try (AppClassLoader loader = loader(jar(dir, Map.of(
                "io/vertx/core/Vertx.class", garbage,
                "io/netty/channel/Channel.class", garbage,
                "com/fasterxml/jackson/core/JsonFactory.class", garbage,
                "java/lang/Runnable.class", garbage)))) {
            assertThat(loader.loadClass("io.vertx.core.Vertx")).isSameAs(io.vertx.core.Vertx.class);
            assertThat(loader.loadClass("io.netty.channel.Channel")).isSameAs(io.netty.channel.Channel.class);
            assertThat(loader.loadClass("com.fasterxml.jackson.core.JsonFactory"))
                    .isSameAs(com.fasterxml.jackson.core.JsonFactory.class);
            assertThat(loader.loadClass("java.lang.Runnable")).isSameAs(Runnable.class);
        }
    }

    @Test
    void theAppsOwnLibrariesWinOverCopiesOnForklinesClassPath(@TempDir Path dir) throws Exception {
        // JUnit is on the parent's class path and not shared: the app's (broken) copy is tried first.
        try (AppClassLoader loader = loader(jar(dir, Map.of("org/junit/jupiter/api/Test.class", new byte[] {1, 2})))) {
            assertThatThrownBy(() -> loader.loadClass("org.junit.jupiter.api.Test")).isInstanceOf(ClassFormatError.class);
            // What the app does not have still comes from the parent.
            assertThat(loader.loadClass("org.junit.jupiter.api.Assertions")).isSameAs(org.junit.jupiter.api.Assertions.class);
        }
    }

    @Test
    void resourcesAreTheAppsFirst(@TempDir Path dir) throws Exception {
        String name = "META-INF/MANIFEST.MF";
        try (AppClassLoader loader = loader(jar(dir, Map.of("webroot/index.html", "<p>app</p>".getBytes(StandardCharsets.UTF_8))))) {
            URL own = loader.getResource(name);
            assertThat(own.toString()).contains(dir.resolve("app.jar").toUri().getPath());
            assertThat(new String(loader.getResourceAsStream("webroot/index.html").readAllBytes(), StandardCharsets.UTF_8))
                    .isEqualTo("<p>app</p>");
            List<URL> all = Collections.list(loader.getResources(name));
            assertThat(all.get(0)).isEqualTo(own);
            assertThat(all.size()).isGreaterThan(1); // the parent's follow
        }
    }
}
