package dev.longctx.common.wire;

/** One chat turn as the OpenAI API carries it (string content). */
public record ChatMessage(String role, String content) {}
