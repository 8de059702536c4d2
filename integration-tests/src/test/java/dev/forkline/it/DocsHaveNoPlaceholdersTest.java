package dev.forkline.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The documentation is finished: no README.md or doc under docs/ still holds a placeholder of the
 * form ⟨...⟩, the mark a figure or a sentence that is still to come (a measurement not yet made)
 * is written with. Each one left is reported with its file and line.
 */
class DocsHaveNoPlaceholdersTest {
    private static final Pattern PLACEHOLDER = Pattern.compile("⟨[^⟩\\n]*⟩");

    @Test
    void noDocHoldsAPlaceholder() throws IOException {
        List<Path> docs = new ArrayList<>();
        docs.add(ForklineImage.ROOT.resolve("README.md"));
        try (Stream<Path> walk = Files.walk(ForklineImage.ROOT.resolve("docs"))) {
            walk.filter(p -> p.toString().endsWith(".md")).sorted().forEach(docs::add);
        }
        assertThat(docs).as("docs/ has documents").hasSizeGreaterThan(1);
        List<String> placeholders = new ArrayList<>();
        for (Path doc : docs) {
            List<String> lines = Files.readAllLines(doc);
            for (int i = 0; i < lines.size(); i++) {
                Matcher m = PLACEHOLDER.matcher(lines.get(i));
                while (m.find()) {
                    placeholders.add(ForklineImage.ROOT.relativize(doc) + ":" + (i + 1) + ": " + m.group());
                }
            }
        }
        assertThat(placeholders).as("placeholders still in the docs (fill each in with its figure)").isEmpty();
    }
}
