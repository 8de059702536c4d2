package dev.forkline.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.forkline.testkit.ForklineProcess;
import dev.forkline.testkit.FreePorts;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * deploy/kubernetes/ without a cluster (no Docker either): parsed strictly against the Kubernetes API
 * model and tied to the code by {@link KubernetesManifests}, with the probes run against the real
 * {@code forkline.jar} started with the pod's own settings (its ConfigMap file and environment; only
 * the host, the ports and the worker count moved for this machine). Each kind of drift is then made
 * on purpose and must be reported with the field that drifted.
 */
class KubernetesManifestsIT {
    private static final Path DIR = ForklineImage.ROOT.resolve("deploy/kubernetes");
    @TempDir
    static Path tmp;
    private static Map<String, String> shipped;
    private static DockerfileFacts dockerfile;
    private static ForklineProcess jar;

    @BeforeAll
    static void startTheJarWithThePodsSettings() throws Exception {
        shipped = KubernetesManifests.read(DIR);
        dockerfile = DockerfileFacts.parse(Files.readString(ForklineImage.ROOT.resolve("deploy/Dockerfile")));
        // System properties win over the pod's environment and its ConfigMap file: only the host,
        // the ports, the worker count and the log format (the readiness event) move for this machine.
        jar = ForklineProcess.startExactly(KubernetesManifests.podEnvironment(shipped, dockerfile, tmp), Map.of(
                "FORKLINE_HOST", "127.0.0.1", "FORKLINE_PORT", Integer.toString(FreePorts.next()),
                "FORKLINE_HTTP_PORT", Integer.toString(FreePorts.next()), "FORKLINE_ADMIN_HOST", "127.0.0.1",
                "FORKLINE_ADMIN_PORT", Integer.toString(FreePorts.next()), "FORKLINE_WORKERS", "1",
                "FORKLINE_LOG_FORMAT", "json"), List.of());
        jar.awaitAllReady();
    }

    @AfterAll
    static void stop() {
        if (jar != null) {
            jar.close();
        }
    }

    private static List<String> check(Map<String, String> files) {
        return KubernetesManifests.check(files, dockerfile, ForklineImage.ROOT, jar);
    }

    @Test
    void shippedManifestsParseStrictlyAndAgreeWithTheCode() {
        assertThat(shipped).containsKeys("deployment.yaml", "service.yaml", "configmap.yaml",
                "poddisruptionbudget.yaml", "optional/horizontalpodautoscaler.yaml");
        assertThat(check(shipped)).isEmpty();
    }

    @Test
    void anHttpGetProbeOnTheHttpFacetIsAValidAlternative() {
        Map<String, String> files = edit(shipped, "deployment.yaml",
                "livenessProbe:\n            exec:\n              command: [\"/opt/forkline/healthcheck.sh\", \"live\"]",
                "livenessProbe:\n            httpGet:\n              path: /\n              port: http");
        assertThat(check(files)).isEmpty();
    }

    /** The preStop hook for clusters before 1.30 (docs/SCALING.md): the image's sleep instead of the sleep action. */
    static final String EXEC_PRE_STOP = "preStop:\n              exec:\n                command: [\"sleep\", \"5\"]";
    static final String SLEEP_PRE_STOP = "preStop:\n              sleep:\n                seconds: 5";

    @Test
    void theExecSleepPreStopForKubernetesBefore130IsAValidAlternative() {
        assertThat(check(edit(shipped, "deployment.yaml", SLEEP_PRE_STOP, EXEC_PRE_STOP))).isEmpty();
    }

    @Test
    void theExecSleepPreStopCountsAgainstTheGracePeriod() {
        // 14 s + FORKLINE_SHUTDOWN_TIMEOUT (15 s) > 25 s: read from the exec form as from the sleep action.
        Map<String, String> files = edit(shipped, "deployment.yaml", SLEEP_PRE_STOP, EXEC_PRE_STOP.replace("\"5\"", "\"14\""));
        assertThat(check(files)).anySatisfy(p -> assertThat(p).contains("deployment.yaml")
                .contains("terminationGracePeriodSeconds=25 must exceed the preStop sleep (14 s)"));
    }

    @Test
    void httpGetProbesOnTheAdminApiAreValidOnceItListensOffLoopback() {
        // The switch docs/SCALING.md describes: admin API on the pod's address (its token from the
        // optional Secret), a named container port, httpGet probes on /readyz and /livez.
        Map<String, String> files = edit(shipped, "deployment.yaml",
                "- name: FORKLINE_ADMIN_HOST\n              value: 127.0.0.1",
                "- name: FORKLINE_ADMIN_HOST\n              value: 0.0.0.0");
        files = edit(files, "deployment.yaml", "            - name: http\n              containerPort: 8080\n",
                "            - name: http\n              containerPort: 8080\n"
                        + "            - name: admin\n              containerPort: 9090\n");
        files = edit(files, "deployment.yaml",
                "readinessProbe:\n            exec:\n              command: [\"/opt/forkline/healthcheck.sh\", \"ready\"]",
                "readinessProbe:\n            httpGet:\n              path: /readyz\n              port: admin");
        files = edit(files, "deployment.yaml",
                "livenessProbe:\n            exec:\n              command: [\"/opt/forkline/healthcheck.sh\", \"live\"]",
                "livenessProbe:\n            httpGet:\n              path: /livez\n              port: admin");
        assertThat(check(files)).isEmpty();
    }

    static Stream<Arguments> drifts() {
        return Stream.of(
                Arguments.of("a misspelt field", "deployment.yaml", "livenessProbe:", "livenesProbe:",
                        "spec.template.spec.containers[0].livenesProbe: unknown field"),
                Arguments.of("a field of the wrong type", "deployment.yaml", "containerPort: 3000", "containerPort: \"3000\"",
                        "spec.template.spec.containers[0].ports[0].containerPort: Cannot deserialize value of type `java.lang.Integer` from String"),
                // Values the API server refuses though fabric8's model takes them (its enum fields are
                // Strings): caught by the Kubernetes OpenAPI definitions, or for the autoscaler's types,
                // which carry no enum there, by the API server's own rule.
                Arguments.of("a protocol in lower case", "deployment.yaml",
                        "containerPort: 3000\n              protocol: TCP", "containerPort: 3000\n              protocol: tcp",
                        "spec.template.spec.containers[0].ports[0].protocol: does not have a value in the enumeration [\"SCTP\", \"TCP\", \"UDP\"] (is \"tcp\")"),
                Arguments.of("an image pull policy Kubernetes does not have", "deployment.yaml",
                        "imagePullPolicy: IfNotPresent", "imagePullPolicy: Sometimes",
                        "spec.template.spec.containers[0].imagePullPolicy: does not have a value in the enumeration [\"Always\", \"IfNotPresent\", \"Never\"] (is \"Sometimes\")"),
                Arguments.of("an autoscaler target type misspelt", "optional/horizontalpodautoscaler.yaml",
                        "type: Utilization", "type: Utilisation",
                        "spec.metrics[0].resource.target.type=Utilisation is not one of [AverageValue, Utilization, Value]"),
                Arguments.of("a required field missing", "service.yaml",
                        "port: 3000", "name_of_port: 3000", "spec.ports[0].port: required property 'port' not found"),
                Arguments.of("a renamed setting in the environment", "deployment.yaml",
                        "name: FORKLINE_HTTP_PORT", "name: FORKLINE_HTTP_PORTS",
                        "env[FORKLINE_HTTP_PORTS]: not a Forkline setting"),
                Arguments.of("a renamed setting in the config file", "configmap.yaml",
                        "FORKLINE_DRAIN_TIMEOUT=10s", "FORKLINE_DRAIN=10s", "FORKLINE_DRAIN is not a Forkline setting"),
                Arguments.of("a container port Forkline does not listen on", "deployment.yaml",
                        "containerPort: 3000", "containerPort: 3001", ".ports[line].containerPort=3001 is no port"),
                Arguments.of("a port setting without its container port", "deployment.yaml",
                        "- name: FORKLINE_PORT\n              value: \"3000\"", "- name: FORKLINE_PORT\n              value: \"4000\"",
                        "no containerPort for FORKLINE_PORT=4000"),
                Arguments.of("a probe path the server does not have", "deployment.yaml",
                        "readinessProbe:\n            exec:\n              command: [\"/opt/forkline/healthcheck.sh\", \"ready\"]",
                        "readinessProbe:\n            httpGet:\n              path: /ready\n              port: http",
                        "readinessProbe.httpGet.path=/ready: forkline.jar answers 404"),
                Arguments.of("an HTTP probe on the loopback-only admin API", "deployment.yaml",
                        "readinessProbe:\n            exec:\n              command: [\"/opt/forkline/healthcheck.sh\", \"ready\"]",
                        "readinessProbe:\n            httpGet:\n              path: /readyz\n              port: 9090",
                        "readinessProbe.httpGet.port=9090: the admin API listens on FORKLINE_ADMIN_HOST=127.0.0.1"),
                Arguments.of("a probe command the health check does not know", "deployment.yaml",
                        "[\"/opt/forkline/healthcheck.sh\", \"live\"]", "[\"/opt/forkline/healthcheck.sh\", \"alive\"]",
                        "livenessProbe.exec.command=[/opt/forkline/healthcheck.sh, alive] fails"),
                Arguments.of("a probe script the image does not have", "deployment.yaml",
                        "[\"/opt/forkline/healthcheck.sh\", \"live\"]", "[\"/opt/forkline/health.sh\", \"live\"]",
                        "livenessProbe.exec.command[0]=/opt/forkline/health.sh is not a file deploy/Dockerfile puts"),
                Arguments.of("an admin port the probes cannot see", "configmap.yaml",
                        "FORKLINE_LOG_LEVEL=info", "FORKLINE_LOG_LEVEL=info\n    FORKLINE_ADMIN_PORT=9191",
                        "the config file sets FORKLINE_ADMIN_PORT"),
                Arguments.of("a grace period shorter than the shutdown", "deployment.yaml",
                        "terminationGracePeriodSeconds: 25", "terminationGracePeriodSeconds: 15",
                        "spec.template.spec.terminationGracePeriodSeconds=15 must exceed"),
                Arguments.of("a shutdown timeout longer than the grace period", "configmap.yaml",
                        "FORKLINE_SHUTDOWN_TIMEOUT=15s", "FORKLINE_SHUTDOWN_TIMEOUT=30s",
                        "terminationGracePeriodSeconds=25 must exceed the preStop sleep (5 s) + FORKLINE_SHUTDOWN_TIMEOUT (30s, from configmap.yaml"),
                Arguments.of("a drain longer than the shutdown", "configmap.yaml",
                        "FORKLINE_DRAIN_TIMEOUT=10s", "FORKLINE_DRAIN_TIMEOUT=15s",
                        "FORKLINE_DRAIN_TIMEOUT=15s (from configmap.yaml data.forkline.properties) must be below FORKLINE_SHUTDOWN_TIMEOUT=15s"),
                Arguments.of("an image the Dockerfile does not build", "deployment.yaml",
                        "image: forkline:latest", "image: forklift:latest", "containers[forkline].image=forklift:latest"),
                Arguments.of("a Service port to no container port", "service.yaml",
                        "targetPort: line", "targetPort: lines", "spec.ports[line].targetPort=lines"),
                Arguments.of("a writable root file system", "deployment.yaml",
                        "readOnlyRootFilesystem: true", "readOnlyRootFilesystem: false", "readOnlyRootFilesystem must be true"),
                Arguments.of("a user other than the image's", "deployment.yaml",
                        "runAsUser: 10001", "runAsUser: 1000", "runAsUser=1000 is not the image's user (uid 10001"),
                Arguments.of("no seccomp profile", "deployment.yaml",
                        "type: RuntimeDefault", "type: Unconfined", "seccompProfile.type must be RuntimeDefault"),
                Arguments.of("kept capabilities", "deployment.yaml",
                        "drop: [\"ALL\"]", "drop: [\"NET_RAW\"]", "capabilities must drop ALL"),
                Arguments.of("no connection migration", "deployment.yaml",
                        "value: \"1\"\n      topologySpreadConstraints", "value: \"0\"\n      topologySpreadConstraints",
                        "net.ipv4.tcp_migrate_req=1 is missing"),
                Arguments.of("java as PID 1", "deployment.yaml",
                        "shareProcessNamespace: true", "shareProcessNamespace: false", "shareProcessNamespace must be true"),
                Arguments.of("service links", "deployment.yaml",
                        "enableServiceLinks: false", "enableServiceLinks: true", "enableServiceLinks must be false"),
                Arguments.of("no CPU limit with FORKLINE_WORKERS=auto", "deployment.yaml",
                        "limits:\n              cpu: \"2\"\n", "limits:\n",
                        "resources.limits.cpu is missing (FORKLINE_WORKERS=auto"),
                Arguments.of("a budget for other pods", "poddisruptionbudget.yaml",
                        "matchLabels:\n      app.kubernetes.io/name: forkline", "matchLabels:\n      app.kubernetes.io/name: forklift",
                        "spec.selector.matchLabels={app.kubernetes.io/name=forklift} does not select the Deployment's pods"),
                Arguments.of("an autoscaler of another Deployment", "optional/horizontalpodautoscaler.yaml",
                        "name: forkline\n  minReplicas", "name: forklift\n  minReplicas",
                        "spec.scaleTargetRef=Deployment/forklift is not the Deployment forkline"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("drifts")
    void driftIsReportedWithTheFieldThatDrifted(String what, String file, String from, String to, String expected) {
        List<String> problems = check(edit(shipped, file, from, to));
        System.out.println(what + " -> " + problems);
        assertThat(problems).as(what).anySatisfy(p -> assertThat(p).contains(file).contains(expected));
    }

    /** The files with one edit, which must apply exactly once (else the test itself has drifted). */
    static Map<String, String> edit(Map<String, String> files, String file, String from, String to) {
        String text = files.get(file);
        assertThat(text).as(file).isNotNull();
        int at = text.indexOf(from);
        assertThat(at).as("'%s' in %s", from, file).isNotNegative();
        assertThat(text.indexOf(from, at + 1)).as("'%s' only once in %s", from, file).isNegative();
        Map<String, String> copy = new TreeMap<>(files);
        copy.put(file, text.replace(from, to));
        return copy;
    }
}
