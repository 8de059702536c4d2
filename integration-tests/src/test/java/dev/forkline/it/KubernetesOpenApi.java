package dev.forkline.it;

import com.networknt.schema.Error;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.dialect.Dialect;
import com.networknt.schema.dialect.Dialects;
import com.networknt.schema.keyword.DisallowUnknownKeywordFactory;
import com.networknt.schema.keyword.NonValidationKeyword;
import com.networknt.schema.path.NodePath;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * Validates a manifest's values against the Kubernetes API's OpenAPI definitions, as the API server's
 * schema validation does: enumerations ({@code protocol: tcp}, {@code imagePullPolicy: Sometimes}),
 * required fields, types. Fabric8's model cannot do this: its enum fields are plain Strings and it has
 * no required fields.
 *
 * <p>The definitions are {@code openshift-generated.json} of {@code io.fabric8:kubernetes-model-validator}
 * (Maven Central): what Kubernetes' own generator, openapi-gen (k8s.io/kube-openapi), produces from the
 * k8s.io/api Go types (OpenShift's types added), generated as the API server's own definitions are
 * (an enum where the Go type has a +enum marker, required where the field is not optional): Swagger
 * 2.0 schema objects, the form of {@code /openapi/v2}, validated here as JSON Schema draft 4, of which
 * they are a subset. No registry package ships the files of kubernetes/kubernetes' api/openapi-spec itself
 * (docs/SCALING.md says what was looked at). Two definitions are widened the way the API server reads
 * them, not as Swagger 2.0 can write them: an IntOrString ({@code port: 8080} or {@code port: http},
 * {@code format: int-or-string}) is an integer or a string, and a Quantity ({@code cpu: 2} or
 * {@code cpu: "2"}) a string or a number.
 */
final class KubernetesOpenApi {
    private static final String RESOURCE = "openshift-generated.json";
    private static final String URI = "urn:forkline:kubernetes-openapi";
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static volatile KubernetesOpenApi instance;

    private final SchemaRegistry registry;
    private final JsonNode definitions;
    private final Map<String, Schema> schemas = new ConcurrentHashMap<>();

    private KubernetesOpenApi(JsonNode document) {
        this.definitions = document.path("definitions");
        // Draft 4, and Swagger's "x-" extensions (x-kubernetes-list-type, ...: how lists merge, no
        // constraint on a value) as keywords without validation. Any other unknown keyword is an
        // error, not a warning: it would be a constraint this check silently skips.
        Dialect dialect = Dialect.builder(Dialects.getDraft4())
                .unknownKeywordFactory((keyword, context) -> keyword.startsWith("x-")
                        ? new NonValidationKeyword(keyword)
                        : DisallowUnknownKeywordFactory.getInstance().getKeyword(keyword, context))
                .build();
        this.registry = SchemaRegistry.withDefaultDialect(dialect,
                builder -> builder.schemas(Map.of(URI, JSON.writeValueAsString(document))));
    }

    /** The definitions, read once (6 MB). */
    static KubernetesOpenApi get() {
        KubernetesOpenApi k = instance;
        if (k == null) {
            synchronized (KubernetesOpenApi.class) {
                if (instance == null) {
                    instance = new KubernetesOpenApi(load());
                }
                k = instance;
            }
        }
        return k;
    }

    private static JsonNode load() {
        try (InputStream in = Objects.requireNonNull(KubernetesOpenApi.class.getClassLoader().getResourceAsStream(RESOURCE),
                RESOURCE + " is not on the test class path (io.fabric8:kubernetes-model-validator)")) {
            JsonNode document = JSON.readTree(in);
            ObjectNode defs = (ObjectNode) document.path("definitions");
            // Swagger 2.0 has no "integer or string": the generator writes type string with this format
            // (the JSON decoder of intstr.IntOrString takes either).
            ((ObjectNode) defs.path("io.k8s.apimachinery.pkg.util.intstr.IntOrString"))
                    .set("type", JSON.createArrayNode().add("integer").add("string"));
            // resource.Quantity's JSON decoder takes a number as well as a string (cpu: 2).
            ((ObjectNode) defs.path("io.k8s.apimachinery.pkg.api.resource.Quantity"))
                    .set("type", JSON.createArrayNode().add("string").add("number"));
            return document;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The definition of {@code apiVersion}/{@code kind}: {@code v1} is the core group
     * (io.k8s.api.core.v1), {@code apps/v1} io.k8s.api.apps.v1, {@code networking.k8s.io/v1}
     * io.k8s.api.networking.v1; null if the API has no such kind.
     */
    String definitionOf(String apiVersion, String kind) {
        if (apiVersion == null || kind == null) {
            return null;
        }
        int slash = apiVersion.indexOf('/');
        String group = slash < 0 ? "core" : apiVersion.substring(0, slash).replaceFirst("\\.k8s\\.io$", "");
        String name = "io.k8s.api." + group + "." + apiVersion.substring(slash + 1) + "." + kind;
        return definitions.has(name) ? name : null;
    }

    /**
     * Each violation of the definition by {@code document}, as "field.path: why" (the path in the
     * form kubectl prints it, spec.template.spec.containers[0].ports[0].protocol).
     */
    List<String> validate(String definition, JsonNode document) {
        Schema schema = schemas.computeIfAbsent(definition,
                d -> registry.getSchema(SchemaLocation.of(URI + "#/definitions/" + d)));
        List<String> out = new ArrayList<>();
        for (Error e : schema.validate(document)) {
            String path = path(e.getInstanceLocation());
            String why = e.getMessage();
            // The message starts with the location again ("$.spec.replicas: ..."): keep what follows.
            int colon = why.indexOf(": ");
            if (why.startsWith("$") && colon > 0) {
                why = why.substring(colon + 2);
            }
            if (e.getProperty() != null && "required".equals(e.getKeyword())) {
                path = path.isEmpty() ? e.getProperty() : path + "." + e.getProperty();
            }
            out.add((path.isEmpty() ? "(the document)" : path) + ": " + why
                    + (e.getInstanceNode() != null && e.getInstanceNode().isValueNode() ? " (is " + e.getInstanceNode() + ")" : ""));
        }
        return out;
    }

    private static String path(NodePath p) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < p.getNameCount(); i++) {
            Object element = p.getElement(i);
            if (element instanceof Integer index) {
                sb.append('[').append(index).append(']');
            } else {
                sb.append(sb.length() == 0 ? "" : ".").append(element);
            }
        }
        return sb.toString();
    }
}
