package dev.longctx.common.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

class PackedTokenIdsTest {
    private static final JsonMapper JSON = JsonMapper.builder().build();

    @Test
    void travelsAsBase64OfLittleEndianInt32() {
        GenerateRequest request = new GenerateRequest("r", List.of(1, 256, 151_643, Integer.MAX_VALUE), null, null);
        String wire = JSON.writeValueAsString(request);
        // 1 = 01 00 00 00, 256 = 00 01 00 00, ...
        assertThat(wire).contains("\"prompt_token_ids\":\"AQAAAAABAABbUAIA////fw==\"");
        GenerateRequest back = JSON.readValue(wire, GenerateRequest.class);
        assertThat(back.promptTokenIds()).containsExactly(1, 256, 151_643, Integer.MAX_VALUE);
        assertThat(back.prompt()).isEqualTo(request.prompt());
    }

    @Test
    void aMillionIdsTakeFourThirdsOfFourBytesEach() {
        int[] ids = new int[1_000_000];
        for (int i = 0; i < ids.length; i++) ids[i] = 150_000 + i % 2_000;
        String base64 = PackedTokenIds.of(ids).toBase64();
        assertThat(base64.length()).isEqualTo(5_333_336);
        assertThat(PackedTokenIds.fromBase64(base64).toArray()).isEqualTo(ids);
    }

    @Test
    void acceptsAPlainIdArrayForHandWrittenRequests() {
        GenerateRequest request = JSON.readValue("{\"prompt_token_ids\":[5,6,7]}", GenerateRequest.class);
        assertThat(request.promptTokenIds()).containsExactly(5, 6, 7);
    }

    @Test
    void rejectsWhatIsNotWholeInt32s() {
        assertThatThrownBy(() -> PackedTokenIds.fromBase64("AQAA")).hasMessageContaining("not a whole number of int32");
        assertThatThrownBy(() -> PackedTokenIds.fromBase64("!!")).hasMessageContaining("not valid base64");
        assertThatThrownBy(() -> PackedTokenIds.fromJson(List.of(1, 5_000_000_000L))).hasMessageContaining("32-bit");
        assertThat(PackedTokenIds.of(3, -1, 9).min()).isEqualTo(-1);
        assertThat(PackedTokenIds.of(3, -1, 9).max()).isEqualTo(9);
    }
}
