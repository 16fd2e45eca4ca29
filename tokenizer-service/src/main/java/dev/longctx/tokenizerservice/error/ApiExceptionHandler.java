package dev.longctx.tokenizerservice.error;

import dev.longctx.tokenizerservice.backend.ChatRenderingException;
import dev.longctx.tokenizerservice.tokenize.InvalidRequestException;
import dev.longctx.tokenizerservice.tokenize.RequestBodyLimit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.core.codec.DecodingException;
import org.springframework.http.HttpStatus;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import org.springframework.web.server.ContentTooLargeException;
import org.springframework.web.server.ResponseStatusException;
import org.springframework.web.server.ServerWebInputException;
import tools.jackson.core.JacksonException;

/** Every failure leaves as an OpenAI error body; clients never see a stack trace or a framework class name. */
@RestControllerAdvice
class ApiExceptionHandler {

    private static final Logger log = LoggerFactory.getLogger(ApiExceptionHandler.class);

    private final RequestBodyLimit bodyLimit;

    ApiExceptionHandler(RequestBodyLimit bodyLimit) {
        this.bodyLimit = bodyLimit;
    }

    @ExceptionHandler(ContentTooLargeException.class)
    ResponseEntity<OpenAiErrorResponse> tooLarge(ContentTooLargeException e) {
        return respond(HttpStatus.CONTENT_TOO_LARGE, "The request body exceeds this service's limit of "
                + bodyLimit.bytes() + " bytes (longctx.tokenizer.max-body-bytes).");
    }

    @ExceptionHandler(ChatRenderingException.class)
    ResponseEntity<OpenAiErrorResponse> chatTemplate(ChatRenderingException e) {
        return respond(HttpStatus.BAD_REQUEST, "chat template error: " + e.getMessage());
    }

    @ExceptionHandler(InvalidRequestException.class)
    ResponseEntity<OpenAiErrorResponse> invalid(InvalidRequestException e) {
        return respond(HttpStatus.BAD_REQUEST, e.getMessage());
    }

    @ExceptionHandler(ServerWebInputException.class)
    ResponseEntity<OpenAiErrorResponse> unreadableBody(ServerWebInputException e) {
        return respond(HttpStatus.BAD_REQUEST, describeInputError(e));
    }

    @ExceptionHandler(ResponseStatusException.class)
    ResponseEntity<OpenAiErrorResponse> status(ResponseStatusException e) {
        return respond(e.getStatusCode(), e.getReason() != null ? e.getReason() : e.getStatusCode().toString());
    }

    @ExceptionHandler(Exception.class)
    ResponseEntity<OpenAiErrorResponse> unexpected(Exception e) {
        if (e instanceof io.netty.handler.timeout.TimeoutException) {
            // A body that stopped arriving: the connection is being closed; there is no one to answer.
            log.info("request body timed out: {}", e.toString());
            return respond(HttpStatus.REQUEST_TIMEOUT, "the request body did not arrive in time");
        }
        log.error("request failed", e);
        return respond(HttpStatus.INTERNAL_SERVER_ERROR, "internal error");
    }

    /** Says where the body went wrong without Jackson's own text, which names Java types. */
    private static String describeInputError(ServerWebInputException e) {
        for (Throwable cause = e; cause != null; cause = cause.getCause()) {
            if (cause instanceof JacksonException jackson) {
                if (!jackson.getPath().isEmpty() && jackson.getPath().getFirst().getPropertyName() != null) {
                    return "invalid value for `" + jackson.getPath().getFirst().getPropertyName() + "` in the request body";
                }
                var at = jackson.getLocation();
                return at == null || at.getLineNr() < 0 ? "malformed JSON request body"
                        : "malformed JSON request body (line " + at.getLineNr() + ", column " + at.getColumnNr() + ")";
            }
            if (cause instanceof DecodingException) {
                return "malformed JSON request body";
            }
        }
        return "invalid request body";
    }

    private static ResponseEntity<OpenAiErrorResponse> respond(HttpStatusCode status, String message) {
        return ResponseEntity.status(status).body(OpenAiErrorResponse.of(status, message));
    }
}
