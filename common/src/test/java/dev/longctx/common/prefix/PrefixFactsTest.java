package dev.longctx.common.prefix;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class PrefixFactsTest {
    static final PrefixFacts DCA = new PrefixFacts("sha256:abc", "fp32",
            PrefixFacts.dcaField(512, 64, 512), PrefixFacts.REQUEST_RULE, 512, 16, "beef", true, 1000, 49152);

    @Test
    void saltFieldsFollowTheRules() {
        PrefixSalt shortPrompt = DCA.salt(512, null, null);
        assertThat(shortPrompt).isEqualTo(new PrefixSalt("sha256:abc", "fp32",
                "chunk_size=512,local_size=64,original_max_position_embeddings=512", "request", "", "", null));
        // request rule beyond P: s_f(T) joins the salt; beyond the threshold, the sparse identity does
        PrefixSalt longPrompt = DCA.salt(2048, null, "tenant");
        assertThat(longPrompt.requestScale()).isEqualTo(Double.toString(Math.max(1, 0.1 * Math.log(2048 / 512.0) + 1)));
        assertThat(longPrompt.sparse()).isEqualTo("sparse=beef;threshold=1000");
        assertThat(DCA.salt(2048, false, null).sparse()).isEmpty();
        // the position rule never carries a scale
        PrefixFacts position = new PrefixFacts("m", "fp32", "none", PrefixFacts.POSITION_RULE, 512, 16, null, false, 0, 0);
        assertThat(position.salt(100_000, true, null).requestScale()).isEmpty();
        assertThat(position.salt(100_000, true, null).sparse()).isEmpty();
    }

    @Test
    void saltBytesAreLengthPrefixedUtf8WithNullAsEmpty() {
        byte[] bytes = new PrefixSalt("ab", "c", null, "", "", "", "é").bytes();
        ByteBuffer expected = ByteBuffer.allocate(7 * 4 + 2 + 1 + 2);
        expected.putInt(2).put("ab".getBytes(StandardCharsets.UTF_8)).putInt(1).put((byte) 'c');
        expected.putInt(0).putInt(0).putInt(0).putInt(0).putInt(2).put("é".getBytes(StandardCharsets.UTF_8));
        assertThat(bytes).isEqualTo(expected.array());
        assertThat(new PrefixSalt("a", "bc", null, null, null, null, null).bytes())
                .isNotEqualTo(new PrefixSalt("ab", "c", null, null, null, null, null).bytes());
    }

    @Test
    void blockNamesChainOverFullBlocksWithTheDocumentedBytes() throws Exception {
        List<Integer> tokens = IntStream.range(0, 40).boxed().toList();
        List<BlockHash> names = DCA.blockNames(tokens, null, null);
        assertThat(names).hasSize(2);                              // 40 tokens = 2 full blocks of 16 + 8

        byte[] salt = DCA.salt(40, null, null).bytes();
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        sha.update(new byte[32]);
        ByteBuffer ids = ByteBuffer.allocate(64);
        for (int t = 0; t < 16; t++) ids.putInt(t);
        sha.update(ids.array());
        sha.update(salt);
        assertThat(names.getFirst().hex()).isEqualTo(HexFormat.of().formatHex(sha.digest()));

        // a different prompt length changes s_f(T) only beyond P
        assertThat(DCA.blockNames(tokens.subList(0, 32), null, null)).isEqualTo(names);
    }
}
