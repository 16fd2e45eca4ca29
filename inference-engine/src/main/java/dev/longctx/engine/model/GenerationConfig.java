package dev.longctx.engine.model;

import java.util.List;

/**
 * {@code generation_config.json}: the checkpoint's own sampling defaults and EOS ids. Every field may be absent
 * (null), in which case the request's value or the engine default applies.
 */
public record GenerationConfig(
        List<Integer> eosTokenIds,
        Integer bosTokenId,
        Integer padTokenId,
        Boolean doSample,
        Double temperature,
        Double topP,
        Integer topK,
        Double minP,
        Double repetitionPenalty,
        Integer maxNewTokens) {

    public GenerationConfig {
        eosTokenIds = eosTokenIds == null ? List.of() : List.copyOf(eosTokenIds);
    }

    public static GenerationConfig empty() {
        return new GenerationConfig(List.of(), null, null, null, null, null, null, null, null, null);
    }
}
