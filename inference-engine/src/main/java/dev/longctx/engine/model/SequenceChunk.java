package dev.longctx.engine.model;

import dev.longctx.engine.attention.AttentionOptions;
import dev.longctx.engine.kv.SequenceKv;

/**
 * One sequence's share of a forward step: {@code tokens} at absolute positions [start, start + tokens.length).
 * A prefill piece has many tokens, a decode step one. {@code kv} must already have blocks for every position up
 * to start + tokens.length; the forward pass writes their K/V there.
 */
public record SequenceChunk(int[] tokens, int start, SequenceKv kv, Logits logits, AttentionOptions attention) {

    /** Which positions' logits the caller needs: only those rows go through lm_head. */
    public enum Logits { NONE, LAST, ALL }

    public int end() { return start + tokens.length; }
}
