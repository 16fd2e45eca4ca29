package dev.longctx.common.wire;

public record DetokenizeResponse(String prompt) {}
