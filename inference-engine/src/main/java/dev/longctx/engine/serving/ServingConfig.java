package dev.longctx.engine.serving;

/**
 * Limits of the serving engine beyond {@link dev.longctx.engine.EngineOptions}.
 *
 * @param maxNumSeqs  most sequences running at once
 * @param maxWaiting  bound of the waiting queue (a full queue answers QUEUE_FULL → 503)
 * @param maxModelLen longest prompt + output; 0 = the model's max_position_embeddings
 */
public record ServingConfig(int maxNumSeqs, int maxWaiting, int maxModelLen) {

    public static ServingConfig defaults() {
        return new ServingConfig(64, 256, 0);
    }
}
