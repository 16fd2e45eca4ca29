package dev.longctx.inferenceservice.deployment;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;
import tools.jackson.databind.json.JsonMapper;

/**
 * The environment variables docker-compose.yml and k8s/ give inference-service name real properties of this
 * service (a typo would silently leave the default). The structural checks of both files are in
 * tokenizer-service's DeploymentDescriptorsTest; only this module's classpath knows inference-service's properties.
 */
class InferenceDeploymentEnvironmentTest {

    private static final Path ROOT = Path.of("").toAbsolutePath().getParent();
    private static final Set<String> NOT_SPRING = Set.of("JDK_JAVA_OPTIONS", "JAVA_TOOL_OPTIONS",
            "NVIDIA_VISIBLE_DEVICES", "NVIDIA_DRIVER_CAPABILITIES", "POD_IP");

    @Test
    void composeAndK8sVariablesBindToInferenceServiceProperties() throws IOException {
        Set<String> bindable = bindableVariables();
        assertThat(bindable).contains("LONGCTX_ENGINE_KVCACHEBLOCKS", "SERVER_PORT");

        List<String> variables = new ArrayList<>(composeVariables());
        variables.addAll(k8sVariables());
        assertThat(variables).contains("LONGCTX_MODEL_PATH", "LONGCTX_ENGINE_MAXWAITING");
        for (String variable : variables) {
            assertThat(NOT_SPRING.contains(variable) || bindable.contains(variable))
                    .as(variable + " binds to an inference-service property").isTrue();
        }
    }

    /** Spring's canonical env form of every property in the configuration metadata on this classpath. */
    private static Set<String> bindableVariables() throws IOException {
        Set<String> names = new HashSet<>();
        for (URL url : Collections.list(InferenceDeploymentEnvironmentTest.class.getClassLoader().getResources("META-INF/spring-configuration-metadata.json"))) {
            try (InputStream in = url.openStream()) {
                JsonMapper.builder().build().readTree(in).path("properties").forEach(p -> names.add(
                        p.path("name").asString().replace("-", "").replace('.', '_').toUpperCase(Locale.ROOT)));
            }
        }
        return names;
    }

    @SuppressWarnings("unchecked")
    private static Set<String> composeVariables() throws IOException {
        Map<String, Object> compose = new Yaml().load(Files.readString(ROOT.resolve("docker-compose.yml")));
        Map<String, Object> inference = (Map<String, Object>) ((Map<String, Object>) compose.get("services")).get("inference");
        return ((Map<String, Object>) inference.get("environment")).keySet();
    }

    @SuppressWarnings("unchecked")
    private static List<String> k8sVariables() throws IOException {
        List<String> names = new ArrayList<>();
        for (Object doc : new Yaml().loadAll(Files.readString(ROOT.resolve("k8s/inference-service.yaml")))) {
            Map<String, Object> resource = (Map<String, Object>) doc;
            if (!"Deployment".equals(resource.get("kind"))) {
                continue;
            }
            Map<String, Object> template = (Map<String, Object>) ((Map<String, Object>) resource.get("spec")).get("template");
            for (Object c : (List<Object>) ((Map<String, Object>) template.get("spec")).get("containers")) {
                for (Object e : (List<Object>) ((Map<String, Object>) c).getOrDefault("env", List.of())) {
                    names.add((String) ((Map<String, Object>) e).get("name"));
                }
            }
        }
        return names;
    }
}
