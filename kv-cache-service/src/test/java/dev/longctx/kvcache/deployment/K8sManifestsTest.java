package dev.longctx.kvcache.deployment;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EnvVarBuilder;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.springframework.boot.convert.DurationStyle;

/**
 * Every manifest under k8s/ parsed into fabric8's typed Kubernetes objects. fabric8 keeps a field it does not
 * know in {@code additionalProperties} instead of failing, so every object in the tree is checked to have none:
 * a misspelled field (say {@code readinessProbes}) fails the build. Then the shape the issue asks for.
 */
class K8sManifestsTest {
    static final Path K8S = Path.of("").toAbsolutePath().getParent().resolve("k8s");

    static List<HasMetadata> resources() throws IOException {
        KubernetesSerialization serialization = new KubernetesSerialization();
        List<HasMetadata> all = new ArrayList<>();
        try (Stream<Path> files = Files.list(K8S)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".yaml")).sorted().toList()) {
                if (file.getFileName().toString().equals("kustomization.yaml")) continue;   // kustomize's, not the API's
                for (String doc : Files.readString(file).split("(?m)^---\\s*$")) {
                    if (doc.lines().allMatch(l -> l.isBlank() || l.stripLeading().startsWith("#"))) continue;
                    Object parsed = serialization.unmarshal(doc);
                    assertThat(parsed).as(file + ": a known kind").isInstanceOf(HasMetadata.class)
                            .isNotInstanceOf(GenericKubernetesResource.class);
                    all.add((HasMetadata) parsed);
                }
            }
        }
        return all;
    }

    static <T> List<T> ofKind(List<HasMetadata> all, Class<T> kind) {
        return all.stream().filter(kind::isInstance).map(kind::cast).toList();
    }

    @Test
    void everyFieldOfEveryManifestIsKnown() throws Exception {
        List<HasMetadata> all = resources();
        assertThat(all).hasSizeGreaterThan(15);
        for (HasMetadata resource : all) {
            List<String> unknown = new ArrayList<>();
            collectUnknown(resource, resource.getKind() + "/" + resource.getMetadata().getName(), unknown,
                    java.util.Collections.newSetFromMap(new IdentityHashMap<>()));
            assertThat(unknown).as("fields fabric8 does not know (misspelled?)").isEmpty();
        }
    }

    /** Walks the fabric8 object tree through its getters. */
    private static void collectUnknown(Object node, String path, List<String> unknown, Set<Object> seen) throws Exception {
        if (node == null || !seen.add(node)) return;
        if (node instanceof Collection<?> c) {
            int i = 0;
            for (Object item : c) collectUnknown(item, path + "[" + i++ + "]", unknown, seen);
            return;
        }
        if (node instanceof Map<?, ?> m) {
            for (Map.Entry<?, ?> e : m.entrySet()) collectUnknown(e.getValue(), path + "." + e.getKey(), unknown, seen);
            return;
        }
        if (!node.getClass().getPackageName().startsWith("io.fabric8.kubernetes.api.model")) return;
        if (node instanceof Quantity) return;
        for (Method getter : node.getClass().getMethods()) {
            if (getter.getParameterCount() != 0 || Modifier.isStatic(getter.getModifiers())
                    || !getter.getName().startsWith("get") || getter.getName().equals("getClass")) continue;
            Object value = getter.invoke(node);
            if (getter.getName().equals("getAdditionalProperties")) {
                if (value instanceof Map<?, ?> extra && !extra.isEmpty()) unknown.add(path + ": " + extra.keySet());
                continue;
            }
            collectUnknown(value, path + "." + getter.getName().substring(3), unknown, seen);
        }
    }

    @Test
    void deploymentsOfEveryServiceAndRedisWithResourcesAndADisruptionBudget() throws IOException {
        List<HasMetadata> all = resources();
        List<Deployment> deployments = ofKind(all, Deployment.class);
        assertThat(deployments).extracting(d -> d.getMetadata().getName()).containsExactlyInAnyOrder(
                "tokenizer-service", "inference-service", "gateway-service", "kv-cache-service", "redis");
        List<PodDisruptionBudget> budgets = ofKind(all, PodDisruptionBudget.class);
        for (Deployment d : deployments) {
            Map<String, String> podLabels = d.getSpec().getTemplate().getMetadata().getLabels();
            for (Container c : d.getSpec().getTemplate().getSpec().getContainers()) {
                assertThat(c.getResources().getRequests()).as(d.getMetadata().getName() + " requests").containsKeys("cpu", "memory");
                assertThat(c.getResources().getLimits()).as(d.getMetadata().getName() + " limits").containsKey("memory");
                assertThat(c.getReadinessProbe()).as(d.getMetadata().getName() + " readiness").isNotNull();
                assertThat(c.getLivenessProbe()).as(d.getMetadata().getName() + " liveness").isNotNull();
            }
            assertThat(budgets).as("a PodDisruptionBudget for " + d.getMetadata().getName()).anySatisfy(pdb ->
                    assertThat(podLabels.entrySet()).containsAll(pdb.getSpec().getSelector().getMatchLabels().entrySet()));
        }
    }

    @Test
    void inferencePodsGetAGpuProbesSizedForLoadingThePoolLabelAndAQueueAutoscaler() throws IOException {
        List<HasMetadata> all = resources();
        Deployment inference = ofKind(all, Deployment.class).stream()
                .filter(d -> d.getMetadata().getName().equals("inference-service")).findFirst().orElseThrow();
        Container c = inference.getSpec().getTemplate().getSpec().getContainers().getFirst();
        assertThat(c.getResources().getLimits().get("nvidia.com/gpu")).isEqualTo(new Quantity("1"));
        assertThat(c.getResources().getRequests().get("nvidia.com/gpu")).isEqualTo(new Quantity("1"));
        // model loading may take up to periodSeconds × failureThreshold before liveness counts
        assertThat(c.getStartupProbe().getPeriodSeconds() * c.getStartupProbe().getFailureThreshold()).isGreaterThanOrEqualTo(600);
        Map<String, String> podLabels = inference.getSpec().getTemplate().getMetadata().getLabels();
        assertThat(podLabels).containsEntry("longctx.dev/pool", "inference");
        assertThat(ofKind(all, Service.class)).anySatisfy(s ->
                assertThat(s.getSpec().getSelector()).containsExactly(Map.entry("longctx.dev/pool", "inference")));

        HorizontalPodAutoscaler hpa = ofKind(all, HorizontalPodAutoscaler.class).getFirst();
        assertThat(hpa.getSpec().getScaleTargetRef().getName()).isEqualTo("inference-service");
        assertThat(hpa.getSpec().getMetrics()).anySatisfy(m ->
                assertThat(m.getPods().getMetric().getName()).isEqualTo("vllm:num_requests_waiting"));
    }

    @Test
    void gatewayTakesItsApiKeyFromASecretAndEveryComponentReachesTheIndex() throws IOException {
        List<HasMetadata> all = resources();
        Set<String> secrets = Set.copyOf(ofKind(all, Secret.class).stream().map(s -> s.getMetadata().getName()).toList());
        Deployment gateway = ofKind(all, Deployment.class).stream()
                .filter(d -> d.getMetadata().getName().equals("gateway-service")).findFirst().orElseThrow();
        assertThat(gateway.getSpec().getTemplate().getSpec().getContainers().getFirst().getEnv()).anySatisfy(env -> {
            assertThat(env.getName()).isEqualTo("LONGCTX_GATEWAY_APIKEYS_0");
            assertThat(secrets).contains(env.getValueFrom().getSecretKeyRef().getName());
        });
        for (String name : List.of("gateway-service", "inference-service")) {
            Deployment d = ofKind(all, Deployment.class).stream().filter(x -> x.getMetadata().getName().equals(name)).findFirst().orElseThrow();
            assertThat(d.getSpec().getTemplate().getSpec().getContainers().getFirst().getEnv())
                    .as(name).anySatisfy(env -> assertThat(env.getName()).endsWith("INDEXURL"));
        }
    }

    // ---- the gateway finds every inference pod through the headless pool Service ----

    static final String POOL_LABEL = "longctx.dev/pool";
    /** A pod is dropped once missing from this many answers (DnsBackendDiscovery.MISSES_BEFORE_REMOVAL). */
    static final int MISSES_BEFORE_REMOVAL = 2;
    /** How long CoreDNS's kubernetes plugin lets an answer be cached (its default ttl). */
    static final Duration DNS_TTL = Duration.ofSeconds(5);

    @Test
    void theGatewayDiscoversEachInferencePodThroughTheHeadlessPoolService() throws IOException {
        assertThat(discoveryProblems(resources())).isEmpty();
    }

    @Test
    void aDiscoverySettingThatCannotFindThePodsFailsTheBuild() throws IOException {
        Map<String, Consumer<List<HasMetadata>>> breakages = new java.util.LinkedHashMap<>();
        breakages.put("a name no Service has", all -> configMapData(all).put("LONGCTX_GATEWAY_DISCOVERY_DNS", "inference-pods:8002"));
        breakages.put("the ClusterIP Service (one virtual IP, not the pods)",
                all -> configMapData(all).put("LONGCTX_GATEWAY_DISCOVERY_DNS", "inference-service:8002"));
        breakages.put("a port the pods do not listen on", all -> configMapData(all).put("LONGCTX_GATEWAY_DISCOVERY_DNS", "inference-pool:8080"));
        breakages.put("no port", all -> configMapData(all).put("LONGCTX_GATEWAY_DISCOVERY_DNS", "inference-pool"));
        breakages.put("a selector that matches no inference pod",
                all -> service(all, "inference-pool").getSpec().setSelector(Map.of(POOL_LABEL, "inference-v2")));
        breakages.put("a selector without the pool label", all -> service(all, "inference-pool").getSpec()
                .setSelector(Map.of("app.kubernetes.io/name", "inference-service")));
        breakages.put("the pool port pointing elsewhere",
                all -> service(all, "inference-pool").getSpec().getPorts().getFirst().setTargetPort(new IntOrString(9000)));
        breakages.put("the pods advertising another URL to the KV index",
                all -> env(deployment(all, "inference-service"), "LONGCTX_KV_ADVERTISEDURL").setValue("http://$(POD_IP):8080"));
        breakages.put("a static backend beside discovery", all -> deployment(all, "gateway-service").getSpec().getTemplate()
                .getSpec().getContainers().getFirst().getEnv()
                .add(new EnvVarBuilder().withName("LONGCTX_GATEWAY_BACKENDS_0").withValue("http://inference-service:8002").build()));
        breakages.put("pods that stop before gateways stop sending", all -> configMapData(all).put("LONGCTX_GATEWAY_DISCOVERY_INTERVAL", "30s"));
        breakages.put("no discovery", all -> env(deployment(all, "gateway-service"), "LONGCTX_GATEWAY_DISCOVERY_DNS").setName("UNUSED"));
        breakages.forEach((what, breakage) -> {
            try {
                List<HasMetadata> all = resources();
                breakage.accept(all);
                assertThat(discoveryProblems(all)).as(what).isNotEmpty();
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
    }

    /**
     * Why the gateway (LONGCTX_GATEWAY_DISCOVERY_DNS = host:port) would not reach every inference pod on its own,
     * or would name pods otherwise than they name themselves in the KV index; empty when it will.
     */
    static List<String> discoveryProblems(List<HasMetadata> all) {
        List<String> problems = new ArrayList<>();
        Container gateway = deployment(all, "gateway-service").getSpec().getTemplate().getSpec().getContainers().getFirst();
        Optional<String> dns = value(all, gateway, "LONGCTX_GATEWAY_DISCOVERY_DNS");
        if (dns.isEmpty()) return List.of("the gateway has no LONGCTX_GATEWAY_DISCOVERY_DNS");
        if (gateway.getEnv().stream().anyMatch(e -> e.getName().startsWith("LONGCTX_GATEWAY_BACKENDS"))) {
            problems.add("the gateway also has static backends: a second route to the same pods, blind to the KV index");
        }
        if (!dns.get().matches("[a-z0-9.-]+:[0-9]+")) {
            problems.add("discovery '" + dns.get() + "' is not host:port");
            return problems;
        }
        String host = dns.get().substring(0, dns.get().indexOf(':'));
        int port = Integer.parseInt(dns.get().substring(dns.get().indexOf(':') + 1));
        String serviceName = host.split("\\.")[0];
        Service pool = ofKind(all, Service.class).stream().filter(s -> s.getMetadata().getName().equals(serviceName))
                .findFirst().orElse(null);
        if (pool == null) return List.of("discovery names " + serviceName + ", which no Service is");
        if (!"None".equals(pool.getSpec().getClusterIP())) {
            problems.add(serviceName + " is not headless (clusterIP: None): its name answers one virtual IP, not the pods");
        }
        Map<String, String> selector = pool.getSpec().getSelector() == null ? Map.of() : pool.getSpec().getSelector();
        if (!selector.containsKey(POOL_LABEL)) problems.add(serviceName + " does not select by the pool label " + POOL_LABEL);
        Deployment inference = deployment(all, "inference-service");
        Map<String, String> podLabels = inference.getSpec().getTemplate().getMetadata().getLabels();
        if (selector.isEmpty() || !podLabels.entrySet().containsAll(selector.entrySet())) {
            problems.add(serviceName + "'s selector " + selector + " does not match the inference pods " + podLabels);
        }
        Container pod = inference.getSpec().getTemplate().getSpec().getContainers().getFirst();
        // Addresses of a headless Service are the pods' own: the gateway connects to the container port directly.
        Optional<ContainerPort> listening = pod.getPorts().stream().filter(p -> p.getContainerPort() == port).findFirst();
        if (listening.isEmpty()) problems.add("the inference container does not listen on " + port);
        boolean servicePortMatches = pool.getSpec().getPorts().stream().anyMatch(p -> p.getPort() == port
                && listening.isPresent() && targets(p, listening.get()));
        if (!servicePortMatches) problems.add(serviceName + " has no port " + port + " that targets the pods' port " + port);
        Optional<String> advertised = value(all, pod, "LONGCTX_KV_ADVERTISEDURL");
        boolean podIp = pod.getEnv().stream().anyMatch(e -> e.getName().equals("POD_IP") && e.getValueFrom() != null
                && e.getValueFrom().getFieldRef() != null && "status.podIP".equals(e.getValueFrom().getFieldRef().getFieldPath()));
        if (!podIp || !advertised.equals(Optional.of("http://$(POD_IP):" + port))) {
            problems.add("the pods advertise " + advertised.orElse("nothing") + " to the KV index, not http://$(POD_IP):" + port
                    + " as discovery names them");
        }
        Duration interval = value(all, gateway, "LONGCTX_GATEWAY_DISCOVERY_INTERVAL").map(DurationStyle::detectAndParse)
                .orElse(Duration.ofSeconds(5));
        Duration needed = interval.multipliedBy(MISSES_BEFORE_REMOVAL).plus(DNS_TTL);
        Long preStop = pod.getLifecycle() == null || pod.getLifecycle().getPreStop() == null
                || pod.getLifecycle().getPreStop().getSleep() == null ? null : pod.getLifecycle().getPreStop().getSleep().getSeconds();
        if (preStop == null || Duration.ofSeconds(preStop).compareTo(needed) < 0) {
            problems.add("inference pods sleep " + preStop + " s before stopping; gateways may route to them for " + needed);
        }
        return problems;
    }

    private static boolean targets(ServicePort port, ContainerPort container) {
        if (port.getTargetPort() == null) return port.getPort().equals(container.getContainerPort());
        return port.getTargetPort().getStrVal() != null ? port.getTargetPort().getStrVal().equals(container.getName())
                : port.getTargetPort().getIntVal().equals(container.getContainerPort());
    }

    /** A variable's value, set directly or from a ConfigMap key. */
    private static Optional<String> value(List<HasMetadata> all, Container container, String name) {
        Optional<EnvVar> variable = container.getEnv().stream().filter(e -> e.getName().equals(name)).findFirst();
        if (variable.isEmpty()) return Optional.empty();
        if (variable.get().getValue() != null) return Optional.of(variable.get().getValue());
        var ref = variable.get().getValueFrom() == null ? null : variable.get().getValueFrom().getConfigMapKeyRef();
        if (ref == null) return Optional.empty();
        return ofKind(all, ConfigMap.class).stream().filter(c -> c.getMetadata().getName().equals(ref.getName()))
                .findFirst().map(c -> c.getData().get(ref.getKey()));
    }

    private static Deployment deployment(List<HasMetadata> all, String name) {
        return ofKind(all, Deployment.class).stream().filter(d -> d.getMetadata().getName().equals(name)).findFirst().orElseThrow();
    }

    private static Service service(List<HasMetadata> all, String name) {
        return ofKind(all, Service.class).stream().filter(s -> s.getMetadata().getName().equals(name)).findFirst().orElseThrow();
    }

    private static EnvVar env(Deployment deployment, String name) {
        return deployment.getSpec().getTemplate().getSpec().getContainers().getFirst().getEnv().stream()
                .filter(e -> e.getName().equals(name)).findFirst().orElseThrow();
    }

    private static Map<String, String> configMapData(List<HasMetadata> all) {
        return ofKind(all, ConfigMap.class).getFirst().getData();
    }
}
