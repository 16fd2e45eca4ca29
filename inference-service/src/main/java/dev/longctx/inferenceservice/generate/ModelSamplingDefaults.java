package dev.longctx.inferenceservice.generate;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import tools.jackson.databind.json.JsonMapper;

/**
 * The checkpoint's own sampling defaults from generation_config.json (what vLLM applies with
 * {@code --generation-config auto}); every field may be absent.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
record ModelSamplingDefaults(
        Double temperature,
        @JsonProperty("top_p") Double topP,
        @JsonProperty("top_k") Integer topK,
        @JsonProperty("min_p") Double minP,
        @JsonProperty("repetition_penalty") Double repetitionPenalty) {

    static final ModelSamplingDefaults NONE = new ModelSamplingDefaults(null, null, null, null, null);

    static ModelSamplingDefaults read(Path modelDir) {
        Path file = modelDir == null ? null : modelDir.resolve("generation_config.json");
        if (file == null || !Files.isRegularFile(file)) {
            return NONE;
        }
        try {
            return JsonMapper.builder().build().readValue(Files.readString(file), ModelSamplingDefaults.class);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }
}
