package dev.longctx.engine.weights;

/**
 * A checkpoint (config.json, generation_config.json, safetensors file or shard index) that cannot be used.
 * The message is meant for the person who launched the engine: it always names the file and, where one is
 * involved, the tensor or field, so one line in a log is enough to find the fault.
 */
public class CheckpointException extends RuntimeException {

    public CheckpointException(String message) {
        super(message);
    }

    public CheckpointException(String message, Throwable cause) {
        super(message, cause);
    }
}
