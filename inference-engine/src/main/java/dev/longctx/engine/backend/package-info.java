/**
 * Devices. A {@link dev.longctx.engine.backend.Backend} owns its memory and computes there; the forward pass
 * ({@code Qwen2Model.forward}) calls only it and the {@link dev.longctx.engine.attention.Attention} it makes, so the
 * same pass runs on every device without copying activations to the host.
 *
 * <p>A step, as the forward pass drives it:
 * <pre>
 *   metadata (host int arrays, built once)  ──► Attention.begin(step, cache)      a GPU uploads it here
 *   token ids ──► embed ──► x [n, d] (fp32)
 *   per layer:  addRmsNorm(x += previous MLP out) ─► matmul(qkv, stacked) ─► AttentionStep.forward(layer, qkv, bias, attn)
 *               (adds the bias, rotates k, writes K/V by slot, attends every sequence) ─► matmul(o)
 *               addRmsNorm(x += o) ─► matmul(gate|up, stacked) ─► siluMul ─► matmul(down)
 *   add(x += last MLP out) ─► gatherRows(rows wanting logits) ─► rmsNorm ─► matmul(lm_head)
 *               ─► sample on the device (ids out) where the backend can, else copyToHost (logits out)
 * </pre>
 * Buffers between GEMMs are {@link dev.longctx.engine.backend.Precision#COMPUTE} (bf16 on a GPU), the residual
 * stream and the logits fp32.
 *
 * <p>The CUDA backend ({@code dev.longctx.engine.backend.cuda.CudaBackend}, listed by its
 * {@link dev.longctx.engine.backend.BackendProvider} in {@code META-INF/services}) implements the ops on its own
 * {@link dev.longctx.engine.backend.DeviceBuffer}s and {@link dev.longctx.engine.backend.Weight}s (q/k/v and gate/up
 * arrive stacked: one GEMM each); a {@link dev.longctx.engine.kv.KvCache} per layer K and V
 * {@code [numBlocks][blockSize][numKvHeads][headDim]} in bf16 with {@code readBlock}/{@code writeBlock} in the
 * documented byte layout; and an {@link dev.longctx.engine.attention.Attention} whose step takes the flattened
 * {@link dev.longctx.engine.attention.StepMetadata}. The contract tests {@code BackendContractTest} and
 * {@code AttentionContractTest} are subclassed per backend with a factory method and tolerances.
 *
 * <p>For {@code longctx bench prefill|decode} three optional methods have defaults that work on any backend, and a
 * GPU backend reports better numbers by overriding them: {@code newTimer} (default: wait for the device at every lap;
 * a CUDA backend returns {@code cuda.CudaEventTimer}), {@code memoryInUse} (default: total − free of {@code deviceMemory}, unknown where that is) and
 * {@code copy} (default: unsupported, and the bench takes a nominal bandwidth; CUDA: {@code cuMemcpyDtoDAsync}).
 */
package dev.longctx.engine.backend;
