/**
 * Devices. A {@link dev.longctx.engine.backend.Backend} owns its memory and computes there; the forward pass
 * ({@code Qwen2Model.forward}) calls only it and the {@link dev.longctx.engine.attention.Attention} it makes, so the
 * same pass runs on every device without copying activations to the host.
 *
 * <p>A step, as the forward pass drives it:
 * <pre>
 *   metadata (host int arrays, built once)  ──► Attention.begin(step, cache)      a GPU uploads it here
 *   token ids ──► embed ──► x [n, d]
 *   per layer:  rmsNorm ─► matmul(qkv, stacked) ─► addBias ─► AttentionStep.forward(layer, qkv, attn)
 *               (rotates k, writes K/V by slot, attends every sequence) ─► matmul(o) ─► add
 *               rmsNorm ─► matmul(gate|up, stacked) ─► siluMul ─► matmul(down) ─► add
 *   gatherRows(rows wanting logits) ─► rmsNorm ─► matmul(lm_head) ─► copyToHost     (sampling on the device later)
 * </pre>
 *
 * <p>What a CUDA backend implements (class {@code dev.longctx.engine.backend.cuda.CudaBackend}, listed by a
 * {@link dev.longctx.engine.backend.BackendProvider} in {@code META-INF/services}): the ops of
 * {@link dev.longctx.engine.backend.Backend} on its own {@link dev.longctx.engine.backend.DeviceBuffer}s and
 * {@link dev.longctx.engine.backend.Weight}s (q/k/v and gate/up arrive stacked: one GEMM each); a
 * {@link dev.longctx.engine.kv.KvCache} per layer K and V {@code [numBlocks][blockSize][numKvHeads][headDim]} in bf16
 * with {@code readBlock}/{@code writeBlock} in the documented byte layout; and an
 * {@link dev.longctx.engine.attention.Attention} whose step takes the flattened
 * {@link dev.longctx.engine.attention.StepMetadata}. The contract tests {@code BackendContractTest} and
 * {@code AttentionContractTest} are subclassed with a factory method and tolerances; nothing in the model changes.
 *
 * <p>For {@code longctx bench prefill|decode} three optional methods have defaults that work on any backend, and a
 * GPU backend reports better numbers by overriding them: {@code newTimer} (default: wait for the device at every lap;
 * a CUDA backend returns {@code cuda.CudaEventTimer}), {@code memoryInUse} (default: unknown; CUDA: total − free) and
 * {@code copy} (default: unsupported, and the bench takes a nominal bandwidth; CUDA: {@code cuMemcpyDtoDAsync}).
 */
package dev.longctx.engine.backend;
