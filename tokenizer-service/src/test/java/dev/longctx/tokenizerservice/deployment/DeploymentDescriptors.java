package dev.longctx.tokenizerservice.deployment;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.yaml.snakeyaml.Yaml;

/** Reads docker-compose.yml, k8s/*.yaml and the stack script's port defaults from the repository root. */
final class DeploymentDescriptors {

    /** Surefire runs in the module directory; the descriptors live one level up. */
    static final Path ROOT = Path.of("").toAbsolutePath().getParent();

    private DeploymentDescriptors() {}

    /** A YAML mapping node with typed accessors, so the tests read like the YAML they check. */
    record Node(Map<String, Object> map) {

        @SuppressWarnings("unchecked")
        Node node(String key) {
            Object value = map.get(key);
            return value instanceof Map<?, ?> m ? new Node((Map<String, Object>) m) : null;
        }

        @SuppressWarnings("unchecked")
        List<Node> nodes(String key) {
            Object value = map.get(key);
            if (!(value instanceof List<?> list)) {
                return List.of();
            }
            return list.stream().filter(Map.class::isInstance).map(m -> new Node((Map<String, Object>) m)).toList();
        }

        /** A list of scalars, as strings (YAML may have read them as numbers or booleans). */
        List<String> strings(String key) {
            return map.get(key) instanceof List<?> l ? l.stream().map(String::valueOf).toList() : List.of();
        }

        String string(String key) {
            Object value = map.get(key);
            return value == null ? null : value.toString();
        }

        boolean has(String key) {
            return map.containsKey(key);
        }

        Node path(String... keys) {
            Node current = this;
            for (String key : keys) {
                current = current == null ? null : current.node(key);
            }
            return current;
        }
    }

    static Node compose() {
        return new Node(new Yaml().load(read(ROOT.resolve("docker-compose.yml"))));
    }

    /** Every document of every k8s/*.yaml, with the file it came from. */
    static List<Node> k8sDocuments() {
        List<Node> documents = new ArrayList<>();
        try (Stream<Path> files = Files.list(ROOT.resolve("k8s"))) {
            for (Path file : files.filter(f -> f.toString().endsWith(".yaml") || f.toString().endsWith(".yml"))
                    .sorted().toList()) {
                for (Object doc : new Yaml().loadAll(read(file))) {
                    if (doc instanceof Map<?, ?>) {
                        @SuppressWarnings("unchecked")
                        Map<String, Object> map = (Map<String, Object>) doc;
                        documents.add(new Node(map));
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return documents;
    }

    static List<Node> k8sKind(String kind) {
        return k8sDocuments().stream().filter(d -> kind.equals(d.string("kind"))).toList();
    }

    /**
     * The ports scripts/stack-up.sh gives each service by default, keyed by service:
     * {@code TOKENIZER_PORT="${LONGCTX_TOKENIZER_PORT:-8001}"} → tokenizer=8001.
     */
    static Map<String, Integer> stackScriptPorts() {
        Matcher m = Pattern.compile("(?m)^(\\w+)_PORT=\"\\$\\{LONGCTX_\\w+_PORT:-(\\d+)}\"")
                .matcher(read(ROOT.resolve("scripts/stack-up.sh")));
        Map<String, Integer> ports = new LinkedHashMap<>();
        while (m.find()) {
            ports.put(m.group(1).toLowerCase(), Integer.parseInt(m.group(2)));
        }
        return ports;
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
