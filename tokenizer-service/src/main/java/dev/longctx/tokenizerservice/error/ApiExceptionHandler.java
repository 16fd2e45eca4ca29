package dev.longctx.tokenizerservice.error;

import dev.longctx.tokenizerservice.backend.ChatRenderingException;
import dev.longctx.tokenizerservice.tokenize.InvalidRequestException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.core.codec.DecodingException;
import org.springframework.http.HttpStatus;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import org.springframework.web.server.ResponseStatusException;
import org.springframework.web.server.ServerWebInputException;
import tools.jackson.core.JacksonException;

/** Every failure leaves as an OpenAI error body; clients never see a stack trace or a framework class name. */
@RestControllerAdvice
class ApiExceptionHandler {

    private static final Logger log = LoggerFactory.getLogger(ApiExceptionHandler.class);

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
        log.error("request failed", e);
        return respond(HttpStatus.INTERNAL_SERVER_ERROR, "internal error");
    }

    /** Jackson's own message says what and where (line/column) without the Java types around it. */
    private static String describeInputError(ServerWebInputException e) {
        for (Throwable cause = e; cause != null; cause = cause.getCause()) {
            if (cause instanceof JacksonException jackson) {
                return "malformed JSON request body: " + jackson.getOriginalMessage();
            }
            if (cause instanceof DecodingException) {
                return "malformed JSON request body";
            }
        }
        return e.getReason() != null ? e.getReason() : "invalid request body";
    }

    private static ResponseEntity<OpenAiErrorResponse> respond(HttpStatusCode status, String message) {
        return ResponseEntity.status(status).body(OpenAiErrorResponse.of(status, message));
    }
}
