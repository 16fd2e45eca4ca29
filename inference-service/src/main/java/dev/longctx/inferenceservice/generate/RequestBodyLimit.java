package dev.longctx.inferenceservice.generate;

/** The largest request body this service reads, for the 413 message. */
public record RequestBodyLimit(int bytes) {}
