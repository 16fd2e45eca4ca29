package dev.longctx.kvcache.deployment;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

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
}
