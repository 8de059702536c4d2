package dev.forkline.it;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What deploy/Dockerfile says that deployment files must agree with: the image name its build
 * command tags, the environment it sets, the files it copies in (image path → repository path) and
 * the uid it runs as.
 */
record DockerfileFacts(String imageName, Map<String, String> env, Map<String, String> copies, long uid) {
    private static final Pattern BUILD_TAG = Pattern.compile("docker build\\b.*\\s-t\\s+(\\S+)");
    private static final Pattern UID = Pattern.compile("useradd\\b.*--uid\\s+(\\d+)");

    static DockerfileFacts parse(String dockerfile) {
        String image = null;
        Long uid = null;
        Map<String, String> env = new LinkedHashMap<>();
        Map<String, String> copies = new LinkedHashMap<>();
        for (String instruction : instructions(dockerfile)) {
            Matcher tag = BUILD_TAG.matcher(instruction);
            if (instruction.startsWith("#") && tag.find() && image == null) {
                image = tag.group(1);
                continue;
            }
            if (instruction.startsWith("#")) {
                continue;
            }
            Matcher u = UID.matcher(instruction);
            if (u.find()) {
                uid = Long.parseLong(u.group(1));
            }
            List<String> words = words(instruction);
            switch (words.get(0).toUpperCase(java.util.Locale.ROOT)) {
                case "ENV" -> {
                    for (String w : words.subList(1, words.size())) {
                        int eq = w.indexOf('=');
                        env.put(w.substring(0, eq), w.substring(eq + 1));
                    }
                }
                case "COPY" -> {
                    List<String> args = words.subList(1, words.size()).stream().filter(w -> !w.startsWith("--")).toList();
                    String dest = args.get(args.size() - 1);
                    for (String src : args.subList(0, args.size() - 1)) {
                        copies.put(dest, src);
                    }
                }
                default -> {
                    // other instructions say nothing a deployment file depends on
                }
            }
        }
        if (image == null || uid == null) {
            throw new IllegalArgumentException("deploy/Dockerfile names no image (a '# docker build ... -t NAME'"
                    + " line) or no uid (useradd --uid N)");
        }
        return new DockerfileFacts(image, env, copies, uid);
    }

    /** The repository file the image has at {@code imagePath}, or null. */
    String sourceOf(String imagePath) {
        String src = copies.get(imagePath);
        if (src != null) {
            return src;
        }
        for (Map.Entry<String, String> e : copies.entrySet()) {
            if (e.getKey().endsWith("/") && imagePath.startsWith(e.getKey())) {
                return e.getValue() + imagePath.substring(e.getKey().length());
            }
        }
        return null;
    }

    /** Instructions with their continuation lines joined; comment lines kept as they are. */
    private static List<String> instructions(String text) {
        List<String> out = new ArrayList<>();
        StringBuilder current = null;
        for (String line : text.split("\n")) {
            String t = line.strip();
            if (current == null && (t.isEmpty() || t.startsWith("#"))) {
                if (!t.isEmpty()) {
                    out.add(t);
                }
                continue;
            }
            if (current == null) {
                current = new StringBuilder();
            }
            if (t.startsWith("#")) {
                continue; // a comment inside a continued instruction
            }
            if (t.endsWith("\\")) {
                current.append(t, 0, t.length() - 1).append(' ');
            } else {
                out.add(current.append(t).toString());
                current = null;
            }
        }
        return out;
    }

    /** Shell-like words: blanks separate, double quotes group (and are removed). */
    private static List<String> words(String instruction) {
        List<String> words = new ArrayList<>();
        StringBuilder w = new StringBuilder();
        boolean quoted = false;
        boolean any = false;
        for (char c : instruction.toCharArray()) {
            if (c == '"') {
                quoted = !quoted;
                any = true;
            } else if (Character.isWhitespace(c) && !quoted) {
                if (any) {
                    words.add(w.toString());
                    w.setLength(0);
                    any = false;
                }
            } else {
                w.append(c);
                any = true;
            }
        }
        if (any) {
            words.add(w.toString());
        }
        return words;
    }
}
