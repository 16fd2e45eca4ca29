package dev.longctx.tokenizerservice.tokenize;

/** A request that is well-formed JSON but asks for something impossible; answered with 400. */
public class InvalidRequestException extends RuntimeException {

    public InvalidRequestException(String message) {
        super(message);
    }
}
