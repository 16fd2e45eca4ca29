/**
 * Attention on the CPU: the executable specification of /docs/ALGORITHMS.md §1–§3 that GPU kernels are tested
 * against.
 *
 * <ul>
 *   <li>{@link dev.longctx.engine.attention.CpuAttention} — the one {@link dev.longctx.engine.attention.Attention}
 *       call per layer for a whole step ({@link dev.longctx.engine.attention.StepMetadata}): K/V write by slot, then
 *       per sequence dense RoPE, DCA or sparse prefill, recall recording.</li>
 *   <li>{@link dev.longctx.engine.attention.PartAttention} — the primitive: rotated query rows vs a key range or
 *       index set of one KV head, causal or not, returning O and LSE (online softmax, fp32); and the LSE merge.
 *       {@link dev.longctx.engine.attention.KeyTile} is its inner loop: 64 keys gathered once, K transposed so a
 *       row's logits need no horizontal sums.</li>
 *   <li>{@link dev.longctx.engine.attention.Piece} / {@link dev.longctx.engine.attention.DcaPart} — the §1 prefill
 *       loop: new tokens split at DCA chunk boundaries into intra/succ/inter parts with their query rotations.</li>
 *   <li>{@link dev.longctx.engine.attention.VerticalSlash} / {@code SparsePrefill} — §2 estimation, selection and
 *       kernel semantics; {@link dev.longctx.engine.attention.SparseAttentionConfig} — the budgets file.</li>
 *   <li>{@link dev.longctx.engine.attention.SparsityCalibrator} — §3 refinement (report Alg. 1).</li>
 * </ul>
 *
 * <p>Where §2 leaves room, this package fixes the semantics (GPU kernels must match these):
 * <ul>
 *   <li>Query blocks are 64 rows starting at the piece's first query; the last one may be shorter.</li>
 *   <li>A kept slash at distance d contributes to query block [qa, qz] exactly the keys it crosses there,
 *       [qa − d, qz − d] (64 wide for a full block). Touching or overlapping spans are merged and computed for every
 *       row of the block under the causal mask; kept verticals ≤ qz outside the spans are added.</li>
 *   <li>A DCA part that no kept vertical lies in and no kept diagonal reaches (over the whole piece) gets the
 *       fallback keys from + ⌊k·size/5⌋, k = 0..4, of its range.</li>
 *   <li>Top-k ties (only among forced +∞ entries, when a budget is below 30 verticals or 100 slashes) keep the
 *       lowest key indices for verticals and the nearest diagonals for slashes; budgets above the key count keep
 *       everything.</li>
 *   <li>All attention arithmetic, estimation included, is fp32; exp is the Vector API's lanewise EXP.</li>
 *   <li>The DCA temperature ({@link dev.longctx.engine.attention.DcaScaleRule}): under the request rule every row's
 *       logits are multiplied by s_f(T)²/√d; under the position rule each rotated query row is multiplied by its own
 *       s_f(p + 1)² (in fp32) and the logits by 1/√d. Both apply to every part and to sparse estimation.</li>
 * </ul>
 */
package dev.longctx.engine.attention;
