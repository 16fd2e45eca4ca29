package dev.longctx.tokenizerservice.deployment;

import static dev.longctx.tokenizerservice.deployment.DeploymentDescriptors.compose;
import static dev.longctx.tokenizerservice.deployment.DeploymentDescriptors.k8sKind;
import static dev.longctx.tokenizerservice.deployment.DeploymentDescriptors.stackScriptPorts;
import static org.assertj.core.api.Assertions.assertThat;

import dev.longctx.tokenizerservice.deployment.DeploymentDescriptors.Node;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * docker-compose.yml and k8s/ describe the same stack as scripts/stack-up.sh: same services, ports and actuator
 * probes, a GPU for inference, the model read-only, and only environment variables that Spring binds to a real
 * property (a typo there would silently leave a default in place). inference-service checks its own variables
 * against its own properties in InferenceDeploymentEnvironmentTest.
 */
class DeploymentDescriptorsTest {

    static final String READINESS = "/actuator/health/readiness";
    static final String LIVENESS = "/actuator/health/liveness";

    /** gateway-service's properties (its metadata is not on this classpath); the gateway's own test should own this. */
    static final List<String> GATEWAY_PROPERTIES =
            List.of("longctx.gateway.tokenizer-url", "longctx.gateway.backends", "longctx.gateway.model-name",
                    "longctx.gateway.api-keys", "longctx.gateway.routing.policy", "longctx.gateway.routing.kv-index-url",
                    "longctx.gateway.discovery.dns", "longctx.gateway.discovery.interval");

    /** Every port the stack script starts something on, Redis included (keyed redis, kvcache, ...). */
    static final Map<String, Integer> ALL_PORTS = stackScriptPorts();
    /** The Java services' ports: what each compose service and Deployment of ours listens on. */
    static final Map<String, Integer> PORTS = new java.util.LinkedHashMap<>(ALL_PORTS);
    static {
        PORTS.remove("redis");
    }

    @Test
    void stackScriptDeclaresThePortOfEachJavaService() {
        assertThat(PORTS).containsOnlyKeys("gateway", "tokenizer", "inference", "kvcache").containsEntry("gateway", 8000);
        assertThat(ALL_PORTS).containsEntry("redis", 6379);
    }

    // ---- docker-compose.yml ----

    @Test
    void everyComposeServiceHasAnImageOrBuildAndAHealthcheck() {
        Node services = compose().node("services");
        assertThat(services.map()).containsKeys("tokenizer", "inference", "gateway", "kvcache", "redis");
        for (String name : services.map().keySet()) {
            Node service = services.node(name);
            assertThat(service.has("image") || service.has("build")).as(name + " image/build").isTrue();
            assertThat(service.path("healthcheck")).as(name + " healthcheck").isNotNull();
            assertThat(service.path("healthcheck").strings("test")).as(name + " healthcheck test").isNotEmpty();
        }
    }

    @Test
    void javaServicesListenPublishAndCheckReadinessOnTheStackPorts() {
        Node services = compose().node("services");
        PORTS.forEach((name, port) -> {
            Node service = services.node(name);
            assertThat(service).as(name).isNotNull();
            assertThat(service.node("environment").string("SERVER_PORT")).as(name).isEqualTo(port.toString());
            assertThat(service.strings("ports")).as(name).contains(port + ":" + port);
            assertThat(String.join(" ", service.node("healthcheck").strings("test")))
                    .as(name).contains("http://localhost:" + port + READINESS);
        });
    }

    @Test
    void composeInferenceReservesOneNvidiaGpu() {
        List<Node> devices = compose().path("services", "inference", "deploy", "resources", "reservations")
                .nodes("devices");
        assertThat(devices).anySatisfy(d -> {
            assertThat(d.string("driver")).isEqualTo("nvidia");
            assertThat(d.string("count")).isEqualTo("1");
            assertThat(d.strings("capabilities")).contains("gpu");
        });
    }

    @Test
    void composeMountsTheModelReadOnlyWhereTheServicesLookForIt() {
        for (String name : List.of("tokenizer", "inference")) {
            Node service = compose().path("services", name);
            String modelPath = service.node("environment").string("LONGCTX_MODEL_PATH");
            assertThat(service.nodes("volumes")).as(name).anySatisfy(v -> {
                assertThat(v.string("target")).isEqualTo(modelPath);
                assertThat(v.string("read_only")).isEqualTo("true");
            });
        }
    }

    @Test
    void composeGatewayReachesTheBackendsByServiceNameAndPort() {
        Node env = compose().path("services", "gateway", "environment");
        assertThat(env.string("LONGCTX_GATEWAY_TOKENIZERURL")).isEqualTo("http://tokenizer:" + PORTS.get("tokenizer"));
        assertThat(env.string("LONGCTX_GATEWAY_BACKENDS_0")).isEqualTo("http://inference:" + PORTS.get("inference"));
    }

    @Test
    void composeEnvironmentNamesBindToRealProperties() {
        assertBindable(compose().path("services", "tokenizer", "environment").map().keySet(), tokenizerEnv());
        assertBindable(compose().path("services", "gateway", "environment").map().keySet(), gatewayEnv());
    }

    // ---- k8s/ ----

    @Test
    void everyDeploymentProbesActuatorOnADeclaredContainerPort() {
        List<Node> deployments = k8sKind("Deployment");
        assertThat(deployments).extracting(d -> d.node("metadata").string("name"))
                .contains("tokenizer-service", "inference-service", "gateway-service", "kv-cache-service", "redis");
        for (Node deployment : deployments) {
            for (Node container : containers(deployment)) {
                if (!container.string("image").startsWith("longctx")) continue;   // Redis probes with redis-cli
                String where = deployment.node("metadata").string("name") + "/" + container.string("name");
                Set<String> ports = declaredPorts(container);
                assertProbe(where, container.node("readinessProbe"), Set.of(READINESS), ports);
                assertProbe(where, container.node("livenessProbe"), Set.of(LIVENESS), ports);
                if (container.has("startupProbe")) {
                    assertProbe(where, container.node("startupProbe"), Set.of(READINESS, LIVENESS), ports);
                }
            }
        }
    }

    @Test
    void everyDeploymentHasAServiceSelectingItsPodsOnTheStackPort() {
        List<Node> services = k8sKind("Service");
        for (Node deployment : k8sKind("Deployment")) {
            String name = deployment.node("metadata").string("name");
            Map<String, Object> podLabels = deployment.path("spec", "template", "metadata", "labels").map();
            assertThat(deployment.path("spec", "selector", "matchLabels").map().entrySet())
                    .as(name + " selector matches its pod labels").isSubsetOf(podLabels.entrySet());
            Node service = services.stream()
                    .filter(s -> s.path("spec", "selector") != null
                            && podLabels.entrySet().containsAll(s.path("spec", "selector").map().entrySet()))
                    .findFirst().orElseThrow(() -> new AssertionError("no Service selects the pods of " + name));
            int stackPort = ALL_PORTS.get(name.replace("-service", "").replace("-", ""));
            Node container = containers(deployment).getFirst();
            assertThat(container.nodes("ports")).as(name).anySatisfy(p ->
                    assertThat(p.string("containerPort")).isEqualTo(Integer.toString(stackPort)));
            assertThat(service.path("spec").nodes("ports")).as(name + " service port").anySatisfy(p -> {
                assertThat(p.string("port")).isEqualTo(Integer.toString(stackPort));
                assertThat(declaredPorts(container)).contains(p.string("targetPort"));
            });
        }
    }

    @Test
    void inferenceDeploymentLimitsOneGpu() {
        Node inference = deployment("inference-service");
        assertThat(containers(inference).getFirst().path("resources", "limits").string("nvidia.com/gpu"))
                .isEqualTo("1");
    }

    @Test
    void configMapKeyRefsNameExistingKeys() {
        Map<String, Set<String>> configMaps = new java.util.HashMap<>();
        k8sKind("ConfigMap").forEach(c ->
                configMaps.put(c.node("metadata").string("name"), c.node("data").map().keySet()));
        for (Node deployment : k8sKind("Deployment")) {
            for (Node container : containers(deployment)) {
                for (Node env : container.nodes("env")) {
                    Node ref = env.path("valueFrom", "configMapKeyRef");
                    if (ref != null) {
                        assertThat(configMaps).as(env.string("name")).containsKey(ref.string("name"));
                        assertThat(configMaps.get(ref.string("name"))).as(env.string("name")).contains(ref.string("key"));
                    }
                }
            }
        }
    }

    @Test
    void modelVolumeIsAClaimOrHostPathMountedReadOnly() {
        Set<String> claims = new HashSet<>();
        k8sKind("PersistentVolumeClaim").forEach(c -> claims.add(c.node("metadata").string("name")));
        for (String name : List.of("tokenizer-service", "inference-service")) {
            Node podSpec = deployment(name).path("spec", "template", "spec");
            Node mount = containers(deployment(name)).getFirst().nodes("volumeMounts").stream()
                    .filter(m -> "true".equals(m.string("readOnly"))).findFirst()
                    .orElseThrow(() -> new AssertionError(name + " mounts no volume read-only"));
            Node volume = podSpec.nodes("volumes").stream().filter(v -> mount.string("name").equals(v.string("name")))
                    .findFirst().orElseThrow();
            if (volume.has("persistentVolumeClaim")) {
                assertThat(claims).as(name).contains(volume.node("persistentVolumeClaim").string("claimName"));
            } else {
                assertThat(volume.has("hostPath")).as(name + " model volume is a PVC or hostPath").isTrue();
            }
            String modelPath = configMapValue(envRef(containers(deployment(name)).getFirst(), "LONGCTX_MODEL_PATH"));
            assertThat(mount.string("mountPath")).as(name).isEqualTo(modelPath);
        }
    }

    @Test
    void k8sEnvironmentNamesBindToRealProperties() {
        assertBindable(envNames(deployment("tokenizer-service")), tokenizerEnv());
        assertBindable(envNames(deployment("gateway-service")), gatewayEnv());
    }

    // ---- helpers ----

    private static SpringEnvironmentNames tokenizerEnv() {
        SpringEnvironmentNames env = SpringEnvironmentNames.fromClasspathMetadata();
        assertThat(env.binds("LONGCTX_MODEL_PATH")).as("this module's configuration metadata is on the classpath")
                .isTrue();
        return env;
    }

    private static SpringEnvironmentNames gatewayEnv() {
        // Boot's own properties (server.port, management.*) plus the gateway's, not tokenizer-service's.
        SpringEnvironmentNames env = SpringEnvironmentNames.fromClasspathMetadata().plus(GATEWAY_PROPERTIES);
        return env;
    }

    private static void assertBindable(Iterable<String> variables, SpringEnvironmentNames env) {
        for (String variable : variables) {
            assertThat(env.binds(variable)).as(variable + " binds to a property").isTrue();
        }
    }

    private static void assertProbe(String where, Node probe, Set<String> paths, Set<String> ports) {
        assertThat(probe).as(where + " probe").isNotNull();
        Node http = probe.node("httpGet");
        assertThat(http).as(where + " httpGet").isNotNull();
        assertThat(http.string("path")).as(where).isIn(paths);
        assertThat(ports).as(where + " probe port").contains(http.string("port"));
    }

    private static Node deployment(String name) {
        return k8sKind("Deployment").stream().filter(d -> name.equals(d.node("metadata").string("name")))
                .findFirst().orElseThrow(() -> new AssertionError("no Deployment " + name));
    }

    private static List<Node> containers(Node deployment) {
        return deployment.path("spec", "template", "spec").nodes("containers");
    }

    /** Port names and numbers, as either may be referenced. */
    private static Set<String> declaredPorts(Node container) {
        Set<String> ports = new HashSet<>();
        for (Node port : container.nodes("ports")) {
            ports.add(port.string("containerPort"));
            if (port.has("name")) {
                ports.add(port.string("name"));
            }
        }
        return ports;
    }

    private static List<String> envNames(Node deployment) {
        return containers(deployment).stream().flatMap(c -> c.nodes("env").stream()).map(e -> e.string("name"))
                .toList();
    }

    private static Node envRef(Node container, String variable) {
        return container.nodes("env").stream().filter(e -> variable.equals(e.string("name"))).findFirst()
                .map(e -> e.path("valueFrom", "configMapKeyRef"))
                .orElseThrow(() -> new AssertionError("no " + variable));
    }

    private static String configMapValue(Node keyRef) {
        return k8sKind("ConfigMap").stream().filter(c -> keyRef.string("name").equals(c.node("metadata").string("name")))
                .findFirst().orElseThrow().node("data").string(keyRef.string("key"));
    }
}
