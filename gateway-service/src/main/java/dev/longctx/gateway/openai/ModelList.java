package dev.longctx.gateway.openai;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/** GET /v1/models in vLLM's shape, which adds {@code root} and {@code max_model_len} to OpenAI's. */
public record ModelList(String object, List<ModelCard> data) {

    /** One model, as listed and as GET /v1/models/{id} answers it. */
    public record ModelCard(
            String id,
            String object,
            long created,
            @JsonProperty("owned_by") String ownedBy,
            String root,
            Object parent,
            @JsonProperty("max_model_len") int maxModelLen) {

        public static ModelCard of(String name, long created, int maxModelLen) {
            return new ModelCard(name, "model", created, "longctx", name, null, maxModelLen);
        }
    }

    public static ModelList single(String name, long created, int maxModelLen) {
        return new ModelList("list", List.of(ModelCard.of(name, created, maxModelLen)));
    }
}
