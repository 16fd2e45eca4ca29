package dev.longctx.inferenceservice.engine;

/** A request arrived before the model finished loading (or after loading failed); answered with 503. */
public class ModelNotReadyException extends RuntimeException {

    public ModelNotReadyException(String message) {
        super(message);
    }
}
