package dev.forkline.supervisor;

import java.io.File;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A test that drives real programs (tmux, chromium, chromedriver, promtool). Without one of them it
 * is skipped with the reason, except under {@code CI=true}, where a missing program is a failure:
 * CI installs them ({@code .ci/run}) and must run these tests, not skip them.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@ExtendWith(NeedsPrograms.Condition.class)
@interface NeedsPrograms {
    /** Program names, looked up on PATH. */
    String[] value();

    /** The Debian packages that provide them, for the message. */
    String packages();

    final class Condition implements ExecutionCondition {
        @Override
        public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
            NeedsPrograms needs = context.getRequiredTestClass().getAnnotation(NeedsPrograms.class);
            List<String> missing = new ArrayList<>();
            for (String program : needs.value()) {
                if (find(program) == null) {
                    missing.add(program);
                }
            }
            if (missing.isEmpty()) {
                return ConditionEvaluationResult.enabled("found " + String.join(", ", needs.value()));
            }
            String why = String.join(", ", missing) + " not found on PATH (apt-get install " + needs.packages() + ")";
            if ("true".equalsIgnoreCase(System.getenv("CI"))) {
                throw new IllegalStateException("CI=true and " + why + ": .ci/run installs them, these tests must run in CI");
            }
            return ConditionEvaluationResult.disabled(why);
        }

        /** The program's path on PATH, or null. */
        static String find(String program) {
            for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(File.pathSeparator)) {
                File f = new File(dir, program);
                if (f.isFile() && f.canExecute()) {
                    return f.getAbsolutePath();
                }
            }
            return null;
        }
    }

}
