package dev.longctx.engine.model;

import static org.assertj.core.api.Assertions.assertThat;

import dev.longctx.engine.EngineOptions;
import dev.longctx.engine.attention.DcaScaleRule;
import dev.longctx.engine.generate.Generator;
import dev.longctx.engine.io.Npy;
import dev.longctx.engine.sampling.SamplingParams;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

/**
 * Parity with Hugging Face transformers on the committed reference fixtures (made by tools/make_fixtures.py):
 * logits of every prompt position within 1e-3, and the 32-token greedy continuation exactly.
 */
class TransformersParityTest {
    static final float TOLERANCE = 1e-3f;

    static Path fixture(String name) {
        try {
            return Path.of(TransformersParityTest.class.getResource("/fixtures/" + name + "/config.json").toURI()).getParent();
        } catch (URISyntaxException | NullPointerException e) {
            throw new AssertionError("fixture " + name + " is missing from src/test/resources/fixtures", e);
        }
    }

    static int[] ints(JsonNode array) {
        int[] out = new int[array.size()];
        for (int i = 0; i < out.length; i++) out[i] = array.get(i).asInt();
        return out;
    }

    static JsonNode reference(Path dir) throws IOException {
        return new ObjectMapper().readTree(Files.readString(dir.resolve("reference.json")));
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"gqa7", "tied", "kv1odd", "dca"})
    void plainRopeLogitsAndGreedyMatchTransformers(String name) throws IOException {
        Path dir = fixture(name);
        JsonNode ref = reference(dir);
        // transformers has no DCA: the dca fixture's plain reference is what --no-dca must produce.
        check(dir, EngineOptions.defaults().withDca(false), ints(ref.get("prompt_ids")), ints(ref.get("greedy_ids")),
                dir.resolve("logits.npy"));
    }

    /** The dca fixture was made under the request temperature rule (every query at s_f(T)): its parity test. */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"dca"})
    void dcaLogitsAndGreedyMatchTheIndependentReferenceUnderTheRequestRule(String name) throws IOException {
        Path dir = fixture(name);
        JsonNode ref = reference(dir);
        check(dir, EngineOptions.defaults().withDcaScale(DcaScaleRule.REQUEST), ints(ref.get("prompt_ids")),
                ints(ref.get("dca").get("greedy_ids")),
                dir.resolve("logits_dca.npy"));
    }

    private static void check(Path dir, EngineOptions options, int[] prompt, int[] expectedGreedy, Path logitsFile)
            throws IOException {
        float[][] expected = Npy.read(logitsFile).toFloatMatrix();
        try (Qwen2Model model = Qwen2Model.load(dir, options.withKvBlockSize(16).withMaxPrefillChunk(100))) {
            Generator generator = new Generator(model);
            float[][] logits = generator.score(prompt, null);
            assertThat(logits).hasNumberOfRows(expected.length);
            float worst = 0;
            int worstRow = -1;
            for (int t = 0; t < logits.length; t++) {
                assertThat(logits[t]).hasSize(expected[t].length);
                for (int v = 0; v < logits[t].length; v++) {
                    float d = Math.abs(logits[t][v] - expected[t][v]);
                    if (d > worst) {
                        worst = d;
                        worstRow = t;
                    }
                }
            }
            assertThat(worst).as("max |logit − reference| (worst at position %d)", worstRow).isLessThanOrEqualTo(TOLERANCE);

            List<Integer> greedy = new ArrayList<>();
            SamplingParams params = new SamplingParams(0, 0, 1, 0, 1, 0, 0, null, expectedGreedy.length, List.of(), Set.of(), true);
            generator.generate(prompt, params, t -> greedy.add(t));
            assertThat(greedy).containsExactly(java.util.Arrays.stream(expectedGreedy).boxed().toArray(Integer[]::new));
        }
    }
}
