package dev.longctx.engine.kv;

/**
 * Makes a request's {@link PrefixSalt} from what is known when it is submitted: its prompt length (T, for the
 * request temperature rule and the sparse threshold), its sparse-prefill choice and its cache salt. The engine's
 * comes from the model ({@code Qwen2Model.prefixSalt}); bookkeeping tests use {@link #fixed}.
 */
@FunctionalInterface
public interface PrefixSalts {

    /** @param sparse null for the engine default, else the request's own sparse-prefill choice */
    PrefixSalt forRequest(int promptLength, Boolean sparse, String cacheSalt);

    /** A model-less salt that depends only on the identity and the request's cache salt. */
    static PrefixSalts fixed(String modelIdentity) {
        return (promptLength, sparse, cacheSalt) -> new PrefixSalt(modelIdentity, "fp32", "none", "position", "", "", cacheSalt);
    }
}
