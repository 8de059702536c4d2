package dev.forkline.it;

import dev.forkline.config.ConfigException;
import dev.forkline.config.Setting;
import dev.forkline.testkit.ForklineProcess;
import dev.forkline.testkit.FreePorts;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.PodSecurityContext;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.SecurityContext;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.io.StringReader;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import tools.jackson.core.JacksonException;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.databind.DeserializationContext;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.deser.std.StdDeserializer;
import tools.jackson.databind.module.SimpleModule;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.MapperFeature;
import tools.jackson.databind.cfg.MapperConfig;
import tools.jackson.databind.introspect.Annotated;
import tools.jackson.databind.introspect.JacksonAnnotationIntrospector;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.dataformat.yaml.YAMLMapper;

/**
 * deploy/kubernetes/ checked without a cluster: every file parsed strictly against the Kubernetes API
 * model (fabric8's kubernetes-model, the generated Java model of the API's OpenAPI schema), its values
 * validated against the API's OpenAPI definitions ({@link KubernetesOpenApi}), then tied to
 * the code: setting names to {@link Setting}, the image and its files to deploy/Dockerfile, ports to
 * the effective settings, probes to what a running {@code forkline.jar} answers, the grace period to
 * FORKLINE_SHUTDOWN_TIMEOUT. Each problem is one line naming the file and the field.
 */
final class KubernetesManifests {
    /** The settings healthcheck.sh reads from the environment: a config file must not override them. */
    static final Set<String> READ_BY_PROBE_SCRIPT = Set.of(
            "FORKLINE_PORT", "FORKLINE_ADMIN_HOST", "FORKLINE_ADMIN_PORT", "FORKLINE_ADMIN_TOKEN");
    private static final String CONFIG_FILE_VARIABLE = "FORKLINE_CONFIG";

    /**
     * Fabric8's model classes keep unknown fields in an "additionalProperties" map (a Jackson
     * any-setter), so a typo would parse silently. Without any-setters, and with scalar coercion off
     * (the API server refuses "3000" for an integer), an unknown field or a wrong type fails with the
     * path of the field, as {@code kubectl apply} (strict field validation) does.
     */
    private static final KubernetesSerialization STRICT = new KubernetesSerialization(JsonMapper.builder()
            .annotationIntrospector(new JacksonAnnotationIntrospector() {
                @Override
                public Boolean hasAnySetter(MapperConfig<?> config, Annotated a) {
                    return Boolean.FALSE;
                }
            })
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
            .build(), true) {
        /**
         * Fabric8 also reads every Integer field from its text (GoIntegerDeserializer, for octal file
         * modes), so containerPort: "3000" would pass; the API server refuses it. Registered after
         * fabric8's modules, this one wins for Integer: a number or a failure naming the field.
         */
        @Override
        protected ObjectMapper configureMapper(ObjectMapper mapper) {
            return super.configureMapper(mapper).rebuild()
                    .addModule(new SimpleModule("strict-integers").addDeserializer(Integer.class,
                            new StdDeserializer<Integer>(Integer.class) {
                                @Override
                                public Integer deserialize(JsonParser p, DeserializationContext ctxt) {
                                    if (p.currentToken() == JsonToken.VALUE_NUMBER_INT) {
                                        return p.getIntValue();
                                    }
                                    return (Integer) ctxt.handleUnexpectedToken(Integer.class, p);
                                }
                            }))
                    .build();
        }
    };

    private static final YAMLMapper YAML = YAMLMapper.builder().build();

    private final DockerfileFacts dockerfile;
    private final Path root;
    private final List<String> problems = new ArrayList<>();

    private KubernetesManifests(DockerfileFacts dockerfile, Path root) {
        this.dockerfile = dockerfile;
        this.root = root;
    }

    /** A parsed manifest and the file it came from. */
    record Manifest(String file, HasMetadata resource) {
    }

    /** The manifests (file name → YAML text) as one deployment. */
    static List<String> check(Map<String, String> files, DockerfileFacts dockerfile, Path root, ForklineProcess jar) {
        KubernetesManifests m = new KubernetesManifests(dockerfile, root);
        List<Manifest> manifests = new ArrayList<>();
        files.forEach((file, yaml) -> manifests.addAll(m.parse(file, yaml)));
        if (m.problems.isEmpty()) {
            m.checkAll(manifests, jar);
        }
        return List.copyOf(m.problems);
    }

    /** Every .yaml file under {@code dir} (sub-directories included), by path relative to it. */
    static Map<String, String> read(Path dir) throws IOException {
        Map<String, String> files = new TreeMap<>();
        try (var walk = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) walk.filter(f -> f.toString().endsWith(".yaml"))::iterator) {
                files.put(dir.relativize(p).toString(), Files.readString(p));
            }
        }
        return files;
    }

    private void problem(String file, String message) {
        problems.add(file + ": " + message);
    }

    private List<Manifest> parse(String file, String yaml) {
        int before = problems.size();
        checkValues(file, yaml);
        Object parsed;
        try {
            parsed = STRICT.unmarshal(yaml);
        } catch (RuntimeException e) {
            problem(file, describe(e));
            return List.of();
        }
        if (problems.size() > before) {
            return List.of();
        }
        List<Manifest> out = new ArrayList<>();
        for (Object o : parsed instanceof List<?> list ? list : List.of(parsed)) {
            if (o instanceof HasMetadata h && h.getMetadata() != null && h.getMetadata().getName() != null) {
                out.add(new Manifest(file, h));
            } else {
                problem(file, "a document that is not a named Kubernetes object: " + o);
            }
        }
        return out;
    }

    /**
     * The values, against the Kubernetes API's OpenAPI definitions ({@link KubernetesOpenApi}): what
     * the API server's schema validation refuses and fabric8's model lets through (an enum field is a
     * String there, and no field is required). Unknown fields and wrong types are {@link #STRICT}'s.
     */
    private void checkValues(String file, String yaml) {
        List<JsonNode> documents;
        try {
            documents = YAML.readerFor(JsonNode.class).<JsonNode>readValues(yaml).readAll();
        } catch (JacksonException e) {
            return; // not YAML: STRICT reports it with its line
        }
        KubernetesOpenApi api = KubernetesOpenApi.get();
        for (JsonNode doc : documents) {
            if (doc == null || !doc.isObject()) {
                continue; // STRICT reports a document that is no object
            }
            String apiVersion = doc.path("apiVersion").isString() ? doc.path("apiVersion").stringValue() : null;
            String kind = doc.path("kind").isString() ? doc.path("kind").stringValue() : null;
            String definition = api.definitionOf(apiVersion, kind);
            if (definition == null) {
                problem(file, "apiVersion=" + apiVersion + ", kind=" + kind + ": no such kind in the Kubernetes API");
                continue;
            }
            for (String violation : api.validate(definition, doc)) {
                problem(file, violation + " (Kubernetes API, " + definition + ")");
            }
        }
    }

    /** The field path of a Jackson failure (spec.template.spec.containers[0].livenesProbe) and why. */
    private static String describe(RuntimeException e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof JacksonException j && !j.getPath().isEmpty()) {
                StringBuilder path = new StringBuilder();
                for (JacksonException.Reference r : j.getPath()) {
                    if (r.getPropertyName() != null) {
                        path.append(path.length() == 0 ? "" : ".").append(r.getPropertyName());
                    } else if (r.getIndex() >= 0) {
                        path.append('[').append(r.getIndex()).append(']');
                    }
                }
                String why = j.getOriginalMessage();
                why = why.contains("Unrecognized property") ? "unknown field (not in the Kubernetes API)"
                        : why.lines().findFirst().orElse(why);
                return path + ": " + why;
            }
        }
        return "not a valid Kubernetes manifest: " + e.getMessage();
    }

    private <T extends HasMetadata> List<Manifest> ofKind(List<Manifest> all, Class<T> kind) {
        return all.stream().filter(m -> kind.isInstance(m.resource())).toList();
    }

    private void checkAll(List<Manifest> all, ForklineProcess jar) {
        List<Manifest> deployments = ofKind(all, Deployment.class);
        if (deployments.size() != 1) {
            problem("deploy/kubernetes", "expected exactly one Deployment, found " + deployments.size());
            return;
        }
        Manifest dm = deployments.get(0);
        String file = dm.file();
        Deployment d = (Deployment) dm.resource();
        PodSpec pod = d.getSpec().getTemplate().getSpec();
        Map<String, String> labels = Optional.ofNullable(d.getSpec().getTemplate().getMetadata().getLabels()).orElse(Map.of());
        Container c = pod.getContainers().stream().filter(x -> x.getName().equals("forkline")).findFirst().orElse(null);
        if (c == null) {
            problem(file, "spec.template.spec.containers: no container named forkline");
            return;
        }
        String at = "spec.template.spec.containers[forkline]";

        // The image: the name the Dockerfile's build command tags.
        String repository = c.getImage().replaceAll("@.*$", "").replaceAll(":[^:/]*$", "");
        if (!repository.equals(dockerfile.imageName()) && !repository.endsWith("/" + dockerfile.imageName())) {
            problem(file, at + ".image=" + c.getImage() + " is not the image deploy/Dockerfile builds ("
                    + dockerfile.imageName() + ", under any registry)");
        }

        // The environment: FORKLINE_* names must be settings; literal values count, secrets may be unset.
        Map<String, String> env = new LinkedHashMap<>();
        for (EnvVar e : Optional.ofNullable(c.getEnv()).orElse(List.of())) {
            if (e.getName().startsWith("FORKLINE_") && !isSetting(e.getName())) {
                problem(file, at + ".env[" + e.getName() + "]: not a Forkline setting (common/.../Setting.java, README)");
            }
            if (e.getValue() != null) {
                env.put(e.getName(), e.getValue());
            }
        }
        for (String name : dockerfile.env().keySet()) {
            if (name.startsWith("FORKLINE_") && !isSetting(name)) {
                problem("deploy/Dockerfile", "ENV " + name + ": not a Forkline setting");
            }
        }
        Map<String, String> fromFile = Map.of();
        ConfigFile configFile = null;
        if (env.containsKey(CONFIG_FILE_VARIABLE)) {
            configFile = findConfigFile(all, pod, c, env.get(CONFIG_FILE_VARIABLE), file, at);
            if (configFile == null) {
                return;
            }
            fromFile = settingsOf(configFile);
        }
        // The pod's settings, lowest precedence first, and where each value came from (for messages).
        Map<String, String> effective = new TreeMap<>();
        Map<String, String> from = new TreeMap<>();
        for (Setting s : Setting.values()) {
            effective.put(s.variable(), s.defaultValue());
            from.put(s.variable(), "the default");
        }
        dockerfile.env().forEach((k, v) -> {
            if (k.startsWith("FORKLINE_")) {
                effective.put(k, v);
                from.put(k, "deploy/Dockerfile ENV");
            }
        });
        env.forEach((k, v) -> {
            effective.put(k, v);
            from.put(k, file + " " + at + ".env");
        });
        String fromFileName = configFile == null ? "" : configFile.manifestFile() + " data." + configFile.key();
        fromFile.forEach((k, v) -> {
            effective.put(k, v);
            from.put(k, fromFileName);
        });
        effective.remove(CONFIG_FILE_VARIABLE);

        int port;
        int httpPort;
        int adminPort;
        Duration shutdown;
        Duration drain;
        try {
            port = Setting.PORT.intIn(effective, 1, 65535);
            httpPort = Setting.HTTP_PORT.intIn(effective, 0, 65535);
            adminPort = Setting.ADMIN_PORT.intIn(effective, 0, 65535);
            shutdown = Setting.SHUTDOWN_TIMEOUT.duration(effective, Duration.ZERO, Duration.ofHours(1));
            drain = Setting.DRAIN_TIMEOUT.duration(effective, Duration.ZERO, Duration.ofHours(1));
        } catch (ConfigException e) {
            problem(file, "the pod's settings are invalid: " + e.getMessage());
            return;
        }
        String adminHost = effective.get(Setting.ADMIN_HOST.variable());
        boolean adminReachable = adminPort != 0 && !isLoopback(adminHost);

        // Ports: every containerPort is one Forkline listens on, and the line protocol's is declared.
        Map<String, Integer> ports = new LinkedHashMap<>();
        for (ContainerPort p : Optional.ofNullable(c.getPorts()).orElse(List.of())) {
            ports.put(p.getName() == null ? String.valueOf(p.getContainerPort()) : p.getName(), p.getContainerPort());
            boolean listens = p.getContainerPort() == port || (httpPort != 0 && p.getContainerPort() == httpPort)
                    || (adminReachable && p.getContainerPort() == adminPort);
            if (!listens) {
                problem(file, at + ".ports[" + p.getName() + "].containerPort=" + p.getContainerPort()
                        + " is no port Forkline listens on (FORKLINE_PORT=" + port + ", FORKLINE_HTTP_PORT=" + httpPort
                        + (adminReachable ? ", FORKLINE_ADMIN_PORT=" + adminPort : "; the admin API on " + adminHost
                        + " is not reachable from outside the pod") + ")");
            }
        }
        if (!ports.containsValue(port)) {
            problem(file, at + ".ports: no containerPort for FORKLINE_PORT=" + port);
        }
        if (httpPort != 0 && !ports.containsValue(httpPort)) {
            problem(file, at + ".ports: no containerPort for FORKLINE_HTTP_PORT=" + httpPort);
        }

        // Termination: preStop, then SIGTERM; the supervisor's own deadline must end first.
        long preStop = preStopSeconds(c);
        long grace = Optional.ofNullable(pod.getTerminationGracePeriodSeconds()).orElse(30L);
        long needed = preStop + (shutdown.toMillis() + 999) / 1000;
        if (grace <= needed) {
            problem(file, "spec.template.spec.terminationGracePeriodSeconds=" + grace + " must exceed the preStop"
                    + " sleep (" + preStop + " s) + FORKLINE_SHUTDOWN_TIMEOUT (" + Setting.format(shutdown) + ", from "
                    + from.get("FORKLINE_SHUTDOWN_TIMEOUT") + "), or the kubelet SIGKILLs the pod while its workers drain");
        }
        if (drain.compareTo(shutdown) >= 0) {
            String where = from.get("FORKLINE_DRAIN_TIMEOUT").split(" ")[0];
            problem(where.endsWith(".yaml") ? where : file, "FORKLINE_DRAIN_TIMEOUT=" + Setting.format(drain) + " (from " + from.get("FORKLINE_DRAIN_TIMEOUT")
                    + ") must be below FORKLINE_SHUTDOWN_TIMEOUT=" + Setting.format(shutdown) + " (from "
                    + from.get("FORKLINE_SHUTDOWN_TIMEOUT") + "), or the supervisor SIGKILLs workers that are still draining");
        }

        checkSecurity(file, pod, c, at);
        checkResources(file, c, at, effective);
        if (!Boolean.TRUE.equals(pod.getShareProcessNamespace())) {
            problem(file, "spec.template.spec.shareProcessNamespace must be true: then the pause process is PID 1"
                    + " and reaps orphans, not java (the image expects an init, as docker run --init gives it)");
        }
        if (!Boolean.FALSE.equals(pod.getEnableServiceLinks())) {
            problem(file, "spec.template.spec.enableServiceLinks must be false: a Service named forkline makes the"
                    + " kubelet set FORKLINE_PORT=tcp://<cluster IP>:<port> in the container");
        }

        // Probes: run them against the real jar.
        Map<Integer, Integer> onJar = new TreeMap<>();
        onJar.put(port, jar.port);
        if (httpPort != 0) {
            onJar.put(httpPort, jar.httpPort);
        }
        if (adminPort != 0) {
            onJar.put(adminPort, jar.adminPort);
        }
        Map<String, String> containerEnv = new LinkedHashMap<>(dockerfile.env());
        containerEnv.putAll(env);
        if (c.getReadinessProbe() == null) {
            problem(file, at + ".readinessProbe is missing: the Service would send connections to a pod whose workers are not ready");
        }
        if (c.getLivenessProbe() == null) {
            problem(file, at + ".livenessProbe is missing");
        }
        Map<String, Probe> probes = new LinkedHashMap<>();
        probes.put("startupProbe", c.getStartupProbe());
        probes.put("readinessProbe", c.getReadinessProbe());
        probes.put("livenessProbe", c.getLivenessProbe());
        probes.forEach((name, probe) -> {
            if (probe != null) {
                checkProbe(file, at + "." + name, probe, ports, port, httpPort, adminPort, adminHost, containerEnv,
                        onJar, jar);
            }
        });
        for (String key : fromFile.keySet()) {
            if (READ_BY_PROBE_SCRIPT.contains(key) && probesUseScript(probes.values())) {
                problem(configFile.manifestFile(), "data." + configFile.key() + ": the config file sets " + key
                        + ", which wins over the environment that healthcheck.sh reads: set it in " + file + " "
                        + at + ".env instead");
            }
        }

        for (Manifest m : ofKind(all, Service.class)) {
            checkService(m.file(), (Service) m.resource(), labels, ports);
        }
        for (Manifest m : ofKind(all, PodDisruptionBudget.class)) {
            PodDisruptionBudget pdb = (PodDisruptionBudget) m.resource();
            checkSelector(m.file(), "spec.selector.matchLabels", pdb.getSpec().getSelector().getMatchLabels(), labels);
        }
        for (Manifest m : ofKind(all, HorizontalPodAutoscaler.class)) {
            HorizontalPodAutoscaler hpa = (HorizontalPodAutoscaler) m.resource();
            var target = hpa.getSpec().getScaleTargetRef();
            if (!"Deployment".equals(target.getKind()) || !d.getMetadata().getName().equals(target.getName())) {
                problem(m.file(), "spec.scaleTargetRef=" + target.getKind() + "/" + target.getName()
                        + " is not the Deployment " + d.getMetadata().getName());
            }
            checkMetrics(m.file(), hpa);
        }
    }

    /** The metric source types the API server accepts (MetricSourceType, k8s.io/api/autoscaling/v2). */
    private static final List<String> METRIC_SOURCE_TYPES = List.of("ContainerResource", "External", "Object", "Pods", "Resource");
    /** The metric target types the API server accepts (MetricTargetType, k8s.io/api/autoscaling/v2). */
    private static final List<String> METRIC_TARGET_TYPES = List.of("AverageValue", "Utilization", "Value");

    /**
     * An autoscaler's metric and target types. These two are checked by the API server in code
     * (validateMetricSpec and validateMetricTarget, pkg/apis/autoscaling/validation), not by its
     * schema: their Go types carry no +enum marker, so the OpenAPI definitions have no enum for
     * them and {@link KubernetesOpenApi} cannot catch {@code type: Utilisation}.
     */
    private void checkMetrics(String file, HorizontalPodAutoscaler hpa) {
        List<io.fabric8.kubernetes.api.model.autoscaling.v2.MetricSpec> metrics =
                Optional.ofNullable(hpa.getSpec().getMetrics()).orElse(List.of());
        for (int i = 0; i < metrics.size(); i++) {
            var spec = metrics.get(i);
            String at = "spec.metrics[" + i + "]";
            if (!METRIC_SOURCE_TYPES.contains(spec.getType())) {
                problem(file, at + ".type=" + spec.getType() + " is not one of " + METRIC_SOURCE_TYPES
                        + " (the API server refuses it)");
                continue;
            }
            Map<String, io.fabric8.kubernetes.api.model.autoscaling.v2.MetricTarget> targets = new LinkedHashMap<>();
            if (spec.getResource() != null) {
                targets.put("resource", spec.getResource().getTarget());
            }
            if (spec.getContainerResource() != null) {
                targets.put("containerResource", spec.getContainerResource().getTarget());
            }
            if (spec.getPods() != null) {
                targets.put("pods", spec.getPods().getTarget());
            }
            if (spec.getObject() != null) {
                targets.put("object", spec.getObject().getTarget());
            }
            if (spec.getExternal() != null) {
                targets.put("external", spec.getExternal().getTarget());
            }
            targets.forEach((source, t) -> {
                if (t != null && !METRIC_TARGET_TYPES.contains(t.getType())) {
                    problem(file, at + "." + source + ".target.type=" + t.getType() + " is not one of "
                            + METRIC_TARGET_TYPES + " (the API server refuses it)");
                }
            });
        }
    }

    private static boolean isSetting(String name) {
        return Setting.byVariable(name).isPresent() || name.equals(CONFIG_FILE_VARIABLE);
    }

    private static boolean isLoopback(String host) {
        try {
            return !host.equals("0.0.0.0") && !host.equals("::") && InetAddress.getByName(host).isLoopbackAddress();
        } catch (UnknownHostException e) {
            return false;
        }
    }

    /** The file FORKLINE_CONFIG names: a key of a ConfigMap of these manifests, mounted in the container. */
    private record ConfigFile(String manifestFile, String key, String text) {
    }

    private ConfigFile findConfigFile(List<Manifest> all, PodSpec pod, Container c, String path, String file, String at) {
        for (VolumeMount vm : Optional.ofNullable(c.getVolumeMounts()).orElse(List.of())) {
            String dir = vm.getMountPath().endsWith("/") ? vm.getMountPath() : vm.getMountPath() + "/";
            Volume v = Optional.ofNullable(pod.getVolumes()).orElse(List.of()).stream()
                    .filter(x -> x.getName().equals(vm.getName())).findFirst().orElse(null);
            if (!path.startsWith(dir) || v == null || v.getConfigMap() == null) {
                continue;
            }
            String key = path.substring(dir.length());
            for (Manifest m : ofKind(all, ConfigMap.class)) {
                ConfigMap cm = (ConfigMap) m.resource();
                if (cm.getMetadata().getName().equals(v.getConfigMap().getName())
                        && cm.getData() != null && cm.getData().containsKey(key)) {
                    return new ConfigFile(m.file(), key, cm.getData().get(key));
                }
            }
            problem(file, at + ".env[FORKLINE_CONFIG]=" + path + ": no key " + key + " in a ConfigMap named "
                    + v.getConfigMap().getName() + " in these manifests");
            return null;
        }
        problem(file, at + ".env[FORKLINE_CONFIG]=" + path + " is not in a volume mounted from a ConfigMap");
        return null;
    }

    /** The settings of the config file, each name checked. */
    private Map<String, String> settingsOf(ConfigFile cf) {
        if (!cf.key().endsWith(".properties")) {
            problem(cf.manifestFile(), "data." + cf.key() + ": only a .properties file is checked here");
            return Map.of();
        }
        Properties props = new Properties();
        try {
            props.load(new StringReader(cf.text()));
        } catch (IOException | IllegalArgumentException e) {
            problem(cf.manifestFile(), "data." + cf.key() + ": " + e.getMessage());
        }
        Map<String, String> values = new TreeMap<>();
        for (String name : props.stringPropertyNames()) {
            if (!isSetting(name) || name.equals(CONFIG_FILE_VARIABLE)) {
                problem(cf.manifestFile(), "data." + cf.key() + ": " + name
                        + " is not a Forkline setting (common/.../Setting.java, README)");
            }
            values.put(name, props.getProperty(name).strip());
        }
        return values;
    }

    /**
     * The FORKLINE_* environment a pod of these manifests starts with (the Dockerfile's, then the
     * container's literal values), with FORKLINE_CONFIG pointing to a copy of its ConfigMap file in
     * {@code dir}: what a test runs the real jar with.
     */
    static Map<String, String> podEnvironment(Map<String, String> files, DockerfileFacts dockerfile, Path dir)
            throws IOException {
        KubernetesManifests m = new KubernetesManifests(dockerfile, dir);
        List<Manifest> all = new ArrayList<>();
        files.forEach((file, yaml) -> all.addAll(m.parse(file, yaml)));
        Manifest dm = m.ofKind(all, Deployment.class).stream().findFirst().orElseThrow();
        PodSpec pod = ((Deployment) dm.resource()).getSpec().getTemplate().getSpec();
        Container c = pod.getContainers().get(0);
        Map<String, String> env = new LinkedHashMap<>();
        dockerfile.env().forEach((k, v) -> {
            if (k.startsWith("FORKLINE_")) {
                env.put(k, v);
            }
        });
        for (EnvVar e : Optional.ofNullable(c.getEnv()).orElse(List.of())) {
            if (e.getValue() != null) {
                env.put(e.getName(), e.getValue());
            }
        }
        String path = env.get(CONFIG_FILE_VARIABLE);
        if (path != null) {
            ConfigFile cf = m.findConfigFile(all, pod, c, path, dm.file(), "container");
            if (cf == null) {
                throw new IllegalStateException(String.join("; ", m.problems));
            }
            Path copy = dir.resolve(cf.key());
            Files.writeString(copy, cf.text());
            env.put(CONFIG_FILE_VARIABLE, copy.toString());
        }
        return env;
    }

    private static long preStopSeconds(Container c) {
        if (c.getLifecycle() == null || c.getLifecycle().getPreStop() == null) {
            return 0;
        }
        var h = c.getLifecycle().getPreStop();
        if (h.getSleep() != null) {
            return h.getSleep().getSeconds();
        }
        if (h.getExec() != null && h.getExec().getCommand().size() == 2 && h.getExec().getCommand().get(0).endsWith("sleep")) {
            return (long) Math.ceil(Double.parseDouble(h.getExec().getCommand().get(1)));
        }
        return 0;
    }

    private void checkSecurity(String file, PodSpec pod, Container c, String at) {
        PodSecurityContext ps = Optional.ofNullable(pod.getSecurityContext()).orElse(new PodSecurityContext());
        SecurityContext cs = Optional.ofNullable(c.getSecurityContext()).orElse(new SecurityContext());
        if (!Boolean.TRUE.equals(cs.getRunAsNonRoot()) && !Boolean.TRUE.equals(ps.getRunAsNonRoot())) {
            problem(file, at + ".securityContext.runAsNonRoot must be true (here or in the pod's securityContext)");
        }
        Long uid = cs.getRunAsUser() != null ? cs.getRunAsUser() : ps.getRunAsUser();
        if (uid != null && uid != dockerfile.uid()) {
            problem(file, at + ".securityContext.runAsUser=" + uid + " is not the image's user (uid "
                    + dockerfile.uid() + " in deploy/Dockerfile)");
        }
        if (!Boolean.TRUE.equals(cs.getReadOnlyRootFilesystem())) {
            problem(file, at + ".securityContext.readOnlyRootFilesystem must be true");
        }
        if (!Boolean.FALSE.equals(cs.getAllowPrivilegeEscalation())) {
            problem(file, at + ".securityContext.allowPrivilegeEscalation must be false");
        }
        if (cs.getCapabilities() == null || !cs.getCapabilities().getDrop().contains("ALL")
                || !cs.getCapabilities().getAdd().isEmpty()) {
            problem(file, at + ".securityContext.capabilities must drop ALL and add none (ports > 1024 need none)");
        }
        String seccomp = cs.getSeccompProfile() != null ? cs.getSeccompProfile().getType()
                : ps.getSeccompProfile() != null ? ps.getSeccompProfile().getType() : null;
        if (!"RuntimeDefault".equals(seccomp)) {
            problem(file, "spec.template.spec.securityContext.seccompProfile.type must be RuntimeDefault, not " + seccomp);
        }
        boolean migrate = Optional.ofNullable(ps.getSysctls()).orElse(List.of()).stream()
                .anyMatch(s -> s.getName().equals("net.ipv4.tcp_migrate_req") && s.getValue().equals("1"));
        if (!migrate) {
            problem(file, "spec.template.spec.securityContext.sysctls: net.ipv4.tcp_migrate_req=1 is missing (the"
                    + " connections queued on a worker that exits would be reset)");
        }
    }

    private void checkResources(String file, Container c, String at, Map<String, String> effective) {
        var r = c.getResources();
        for (String kind : new String[] {"requests", "limits"}) {
            Map<String, Quantity> q = r == null ? null : kind.equals("requests") ? r.getRequests() : r.getLimits();
            for (String res : new String[] {"cpu", "memory"}) {
                if (q == null || !q.containsKey(res)) {
                    problem(file, at + ".resources." + kind + "." + res + " is missing"
                            + (kind.equals("limits") && res.equals("cpu") && "auto".equalsIgnoreCase(effective.get("FORKLINE_WORKERS"))
                            ? " (FORKLINE_WORKERS=auto starts one worker per CPU of this limit; without it, one per CPU of the node)"
                            : ""));
                }
            }
        }
    }

    private static boolean probesUseScript(java.util.Collection<Probe> probes) {
        return probes.stream().filter(Objects::nonNull).anyMatch(p -> p.getExec() != null);
    }

    private void checkProbe(String file, String at, Probe probe, Map<String, Integer> ports, int port, int httpPort,
                            int adminPort, String adminHost, Map<String, String> containerEnv,
                            Map<Integer, Integer> onJar, ForklineProcess jar) {
        int handlers = (probe.getExec() != null ? 1 : 0) + (probe.getHttpGet() != null ? 1 : 0)
                + (probe.getTcpSocket() != null ? 1 : 0) + (probe.getGrpc() != null ? 1 : 0);
        if (handlers != 1) {
            problem(file, at + ": exactly one of exec, httpGet, tcpSocket, grpc, not " + handlers);
            return;
        }
        if (probe.getExec() != null) {
            runExec(file, at + ".exec.command", probe.getExec().getCommand(), containerEnv, onJar,
                    Optional.ofNullable(probe.getTimeoutSeconds()).orElse(1));
        } else if (probe.getHttpGet() != null) {
            var h = probe.getHttpGet();
            Integer target = resolve(h.getPort(), ports);
            if (target == null) {
                problem(file, at + ".httpGet.port=" + show(h.getPort()) + " names no containerPort of " + ports.keySet());
                return;
            }
            int jarPort;
            if (adminPort != 0 && target == adminPort) {
                if (isLoopback(adminHost)) {
                    problem(file, at + ".httpGet.port=" + show(h.getPort()) + ": the admin API listens on FORKLINE_ADMIN_HOST="
                            + adminHost + ", which the kubelet cannot reach (use the exec probe, or bind it off loopback)");
                    return;
                }
                jarPort = jar.adminPort;
            } else if (httpPort != 0 && target == httpPort) {
                jarPort = jar.httpPort;
            } else {
                problem(file, at + ".httpGet.port=" + show(h.getPort()) + " is neither the admin API (FORKLINE_ADMIN_PORT="
                        + adminPort + ") nor the HTTP facet (FORKLINE_HTTP_PORT=" + httpPort + ")");
                return;
            }
            ForklineProcess.Http res = jar.http(jarPort, "GET", h.getPath());
            if (res.status() != 200) {
                problem(file, at + ".httpGet.path=" + h.getPath() + ": forkline.jar answers " + res.status()
                        + " (" + res.body().strip() + ") when it is ready");
            }
        } else if (probe.getTcpSocket() != null) {
            Integer target = resolve(probe.getTcpSocket().getPort(), ports);
            if (target == null || (target != port && target != httpPort)) {
                problem(file, at + ".tcpSocket.port=" + show(probe.getTcpSocket().getPort())
                        + " is not FORKLINE_PORT or FORKLINE_HTTP_PORT");
            }
        } else {
            problem(file, at + ".grpc: Forkline serves no gRPC health service");
        }
    }

    private static String show(IntOrString p) {
        return p == null ? "null" : p.getIntVal() != null ? p.getIntVal().toString() : p.getStrVal();
    }

    private static Integer resolve(IntOrString p, Map<String, Integer> ports) {
        if (p == null) {
            return null;
        }
        return p.getIntVal() != null ? p.getIntVal() : ports.get(p.getStrVal());
    }

    /**
     * Runs an exec probe's command as the kubelet would in the container: the image path mapped to
     * the repository file the Dockerfile copies there, the container's environment with its ports
     * moved to where the test's jar listens, within the probe's timeout. It must exit 0.
     */
    private void runExec(String file, String at, List<String> command, Map<String, String> containerEnv,
                         Map<Integer, Integer> onJar, int timeoutSeconds) {
        String source = dockerfile.sourceOf(command.get(0));
        if (source == null) {
            problem(file, at + "[0]=" + command.get(0) + " is not a file deploy/Dockerfile puts in the image");
            return;
        }
        List<String> cmd = new ArrayList<>();
        cmd.add(root.resolve(source).toString());
        cmd.addAll(command.subList(1, command.size()));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().keySet().removeIf(k -> k.startsWith("FORKLINE_"));
        int closed = FreePorts.next(); // nothing listens there once the probe runs
        containerEnv.forEach((k, v) -> {
            if (k.startsWith("FORKLINE_") && k.endsWith("_PORT") && v.matches("\\d+") && !v.equals("0")) {
                // A port of the pod maps to where the test's jar listens; any other port to a closed
                // one, never to whatever this machine happens to run there.
                v = String.valueOf(onJar.getOrDefault(Integer.parseInt(v), closed));
            }
            pb.environment().put(k, v);
        });
        try {
            Process p = pb.start();
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                problem(file, at + "=" + command + " did not finish within timeoutSeconds=" + timeoutSeconds);
                return;
            }
            String out = new String(p.getInputStream().readAllBytes()).strip();
            if (p.exitValue() != 0) {
                problem(file, at + "=" + command + " fails against a ready forkline.jar (exit " + p.exitValue() + "): " + out);
            }
        } catch (IOException e) {
            problem(file, at + "=" + command + ": cannot run " + source + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void checkService(String file, Service s, Map<String, String> labels, Map<String, Integer> ports) {
        checkSelector(file, "spec.selector", s.getSpec().getSelector(), labels);
        for (ServicePort sp : s.getSpec().getPorts()) {
            IntOrString target = sp.getTargetPort() != null ? sp.getTargetPort() : new IntOrString(sp.getPort());
            if (resolve(target, ports) == null || (target.getIntVal() != null && !ports.containsValue(target.getIntVal()))) {
                problem(file, "spec.ports[" + sp.getName() + "].targetPort=" + show(target)
                        + " is no containerPort of the Deployment (" + ports + ")");
            }
        }
    }

    private void checkSelector(String file, String at, Map<String, String> selector, Map<String, String> labels) {
        if (selector == null || selector.isEmpty() || !labels.entrySet().containsAll(selector.entrySet())) {
            problem(file, at + "=" + selector + " does not select the Deployment's pods (labels " + labels + ")");
        }
    }
}
