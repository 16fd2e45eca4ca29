package dev.longctx.inferenceservice.error;

import dev.longctx.common.wire.GenerateEvent;
import dev.longctx.engine.serving.EngineException;
import dev.longctx.inferenceservice.engine.ModelNotReadyException;
import dev.longctx.inferenceservice.generate.EngineErrors;
import dev.longctx.inferenceservice.generate.RequestBodyLimit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import org.springframework.web.server.ContentTooLargeException;
import org.springframework.web.server.ResponseStatusException;
import org.springframework.web.server.ServerWebInputException;

/**
 * Failures before a stream starts answer with a status and one GenerateEvent carrying only {@code error}: the
 * same OpenAI-shaped object the gateway reads from a stream's last line, so it needs one parser for both.
 */
@RestControllerAdvice
class ApiExceptionHandler {

    private static final Logger log = LoggerFactory.getLogger(ApiExceptionHandler.class);

    private final RequestBodyLimit bodyLimit;

    ApiExceptionHandler(RequestBodyLimit bodyLimit) {
        this.bodyLimit = bodyLimit;
    }

    @ExceptionHandler(ContentTooLargeException.class)
    ResponseEntity<GenerateEvent> tooLarge(ContentTooLargeException e) {
        return respond(EngineErrors.event(null, HttpStatus.CONTENT_TOO_LARGE, "the request body exceeds this service's"
                + " limit of " + bodyLimit.bytes() + " bytes (longctx.generate.max-body-bytes)"));
    }

    @ExceptionHandler(EngineException.class)
    ResponseEntity<GenerateEvent> engine(EngineException e) {
        return respond(EngineErrors.event(null, e));
    }

    @ExceptionHandler(ModelNotReadyException.class)
    ResponseEntity<GenerateEvent> notReady(ModelNotReadyException e) {
        return respond(EngineErrors.event(null, HttpStatus.SERVICE_UNAVAILABLE, e.getMessage()));
    }

    @ExceptionHandler(ServerWebInputException.class)
    ResponseEntity<GenerateEvent> unreadableBody(ServerWebInputException e) {
        log.debug("unreadable request body", e);
        return respond(EngineErrors.event(null, HttpStatus.BAD_REQUEST, "malformed JSON request body"));
    }

    @ExceptionHandler(ResponseStatusException.class)
    ResponseEntity<GenerateEvent> status(ResponseStatusException e) {
        HttpStatus status = HttpStatus.resolve(e.getStatusCode().value());
        status = status != null ? status : HttpStatus.INTERNAL_SERVER_ERROR;
        return respond(EngineErrors.event(null, status, e.getReason() != null ? e.getReason() : status.name()));
    }

    @ExceptionHandler(Exception.class)
    ResponseEntity<GenerateEvent> unexpected(Exception e) {
        if (e instanceof io.netty.handler.timeout.TimeoutException) {
            // A body that stopped arriving: the connection is being closed; there is no one to answer.
            log.info("request body timed out: {}", e.toString());
            return respond(EngineErrors.event(null, HttpStatus.REQUEST_TIMEOUT, "the request body did not arrive in time"));
        }
        log.error("request failed", e);
        return respond(EngineErrors.event(null, HttpStatus.INTERNAL_SERVER_ERROR, "internal error"));
    }

    private static ResponseEntity<GenerateEvent> respond(GenerateEvent event) {
        return ResponseEntity.status(event.error().code()).contentType(MediaType.APPLICATION_JSON).body(event);
    }
}
