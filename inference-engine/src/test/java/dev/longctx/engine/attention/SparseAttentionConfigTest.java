package dev.longctx.engine.attention;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.json.JsonMapper;

import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Loading, validating and writing sparse_attention_config.json, on the real Qwen2.5-7B-Instruct-1M file. */
class SparseAttentionConfigTest {
    @TempDir
    Path tmp;

    static Path real7b() throws URISyntaxException {
        return Path.of(SparseAttentionConfigTest.class.getResource("/sparse-configs/Qwen2.5_7B_Instruct_1M.json").toURI());
    }

    @Test
    void loadsTheReal7bConfig() throws Exception {
        SparseAttentionConfig c = SparseAttentionConfig.load(real7b(), 28, 28);
        assertThat(c.numLayers()).isEqualTo(28);
        assertThat(c.numHeads()).isEqualTo(28);
        assertThat(c.budget(0, 0)).isEqualTo(new SparseAttentionConfig.HeadBudget(9192, 14288, 0.6920984983444214));
        // ALGORITHMS.md quotes the mean budgets of this file.
        double v = 0, s = 0;
        for (int l = 0; l < 28; l++) {
            for (int h = 0; h < 28; h++) {
                v += c.budget(l, h).verticalSize();
                s += c.budget(l, h).slashSize();
            }
        }
        assertThat(v / 784).isBetween(3919.0, 3921.0);
        assertThat(s / 784).isBetween(7649.0, 7651.0);
    }

    @Test
    void writingRoundTripsEveryFieldIncludingTheScore() throws Exception {
        SparseAttentionConfig c = SparseAttentionConfig.load(real7b());
        Path out = tmp.resolve(SparseAttentionConfig.FILE_NAME);
        c.write(out);
        SparseAttentionConfig back = SparseAttentionConfig.load(out, 28, 28);
        assertThat(back).isEqualTo(c);
        var json = JsonMapper.builder().build();
        assertThat(json.readTree(Files.readString(out))).isEqualTo(json.readTree(Files.readString(real7b())));

        // A new measured score, not representable in float, survives a write/read exactly.
        double measured = 0.1 + 0.2;
        SparseAttentionConfig changed = c.with(3, 7, c.budget(3, 7).withScore(measured));
        changed.write(out);
        assertThat(SparseAttentionConfig.load(out).budget(3, 7).score()).isEqualTo(measured);
        assertThat(SparseAttentionConfig.load(out).budget(3, 6)).isEqualTo(c.budget(3, 6));
    }

    @Test
    void aConfigThatDoesNotFitTheModelIsRejectedNamingTheFile() throws Exception {
        Path real = real7b();
        assertThatThrownBy(() -> SparseAttentionConfig.load(real, 48, 28))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(real.toString()).hasMessageContaining("28 layers").hasMessageContaining("48");
        assertThatThrownBy(() -> SparseAttentionConfig.load(real, 28, 40))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(real.toString()).hasMessageContaining("layer 0 has 28 heads");
        SparseAttentionConfig c = SparseAttentionConfig.load(real);
        AttentionGeometry g = new AttentionGeometry(40, 8, 128, 1e7, null);
        assertThatThrownBy(() -> new CpuAttention(g, c, 0, null)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("28 heads");
    }

    @Test
    void malformedFilesGiveClearErrors() throws Exception {
        expectError("[{\"0\": [\"a_shape\", 1, 2, 0.5]}]", "layer 0, head 0", "a_shape");
        expectError("[{\"0\": [\"vertical_and_slash\", 1, 2, 0.5], \"1\": [\"block_sparse\", 1, 2, 0.5]}]",
                "layer 0, head 1", "block_sparse");
        expectError("[{\"0\": [\"vertical_and_slash\", 1, 2], \"2\": [\"vertical_and_slash\", 1, 2]}]",
                "layer 0", "head key 2");
        expectError("[{\"0\": [\"vertical_and_slash\", 1.5, 2, 0.5]}]", "vertical_size");
        expectError("[{\"0\": [\"vertical_and_slash\", 1, -2, 0.5]}]", "slash_size");
        expectError("[{\"x\": [\"vertical_and_slash\", 1, 2, 0.5]}]", "head key \"x\"");
        expectError("{\"0\": [\"vertical_and_slash\", 1, 2, 0.5]}", "JSON list");
        expectError("[{\"0\": [\"vertical_and_slash\", 1, 2, 0.5]", "not valid JSON");
        expectError("[{\"0\": [\"vertical_and_slash\", 1, 2, 0.5]}, [1]]", "layer 1");
    }

    private void expectError(String content, String... fragments) throws Exception {
        Path f = tmp.resolve("bad-" + Integer.toHexString(content.hashCode()) + ".json");
        Files.writeString(f, content);
        var assertion = assertThatThrownBy(() -> SparseAttentionConfig.load(f, 1, 1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(f.toString());
        for (String s : fragments) assertion.hasMessageContaining(s);
    }
}
