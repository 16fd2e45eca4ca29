package dev.longctx.bench;

import com.github.tjake.jlama.model.AbstractModel;
import com.github.tjake.jlama.model.ModelSupport;
import com.github.tjake.jlama.safetensors.DType;
import com.github.tjake.jlama.tensor.AbstractTensor;
import com.github.tjake.jlama.tensor.KvBufferCache;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Jlama 0.8.x driven below its text API: {@code batchForward} over the prompt ids, then {@code forward} per token and
 * {@code sample} (final norm, lm_head, argmax at temperature 0), the same calls its own {@code generate} makes, minus
 * tokenization and detokenization, so both engines see identical ids.
 *
 * <p>Jlama's thread count and prefill batch size are process-wide and fixed at first use, so this class may be
 * instantiated once per JVM.
 */
final class JlamaBench implements EngineBench {
    private final AbstractModel model;
    private final DType workingDType;

    /**
     * @param workingDType Jlama's activation/KV type. BF16 keeps the tied embedding, which is also the lm_head, in
     *                     bf16; with F32 Jlama converts that matrix to fp32 and decode streams twice its bytes.
     */
    JlamaBench(Path modelDir, int threads, int prefillChunk, DType workingDType) {
        // Read once, in AbstractModel's static initializer: must be set before the first Jlama model class loads.
        System.setProperty("jlama.max_batch_size", Integer.toString(prefillChunk));
        this.workingDType = workingDType;
        // No model quantization: Jlama computes on the checkpoint's own bf16 weights, as longctx does. A bf16 model with
        // no quantization makes Jlama use bf16 as its working quantized type too, so activations are not int8-quantized.
        this.model = ModelSupport.loadModel(modelDir.toFile(), null, workingDType, DType.BF16, Optional.empty(), Optional.of(threads));
    }

    @Override
    public String name() { return "jlama (" + workingDType + " working)"; }

    @Override
    public RunResult run(int[] prompt, int generate) {
        int[] generated = new int[generate];
        // An ephemeral buffer lives in memory (Jlama's session buffers are files in a temp dir) and is new per run,
        // as longctx's Generator makes a fresh cache per call.
        try (KvBufferCache.KvBuffer kv = new KvBufferCache(model).getEphemeralKvBuffer();
             AbstractTensor logits = model.makeDenseTensor(model.getConfig().vocabularySize)) {
            long t0 = System.nanoTime();
            int next;
            try (AbstractTensor hidden = model.batchForward(prompt, 0, kv)) {
                next = model.sample(hidden.slice(hidden.shape().first() - 1), 0f, 0f, logits);
            }
            long t1 = System.nanoTime();
            generated[0] = next;
            for (int i = 1; i < generate; i++) {
                // The token sampled last sits at position prompt.length + i - 1.
                try (AbstractTensor hidden = model.forward(next, prompt.length + i - 1, kv, Optional.empty())) {
                    next = model.sample(hidden, 0f, 0f, logits);
                }
                generated[i] = next;
            }
            long t2 = System.nanoTime();
            double prefill = prompt.length / ((t1 - t0) / 1e9);
            double decode = generate > 1 ? (generate - 1) / ((t2 - t1) / 1e9) : 0;
            return new RunResult(prefill, decode, generated);
        }
    }

    @Override
    public void close() {
        model.close();
    }
}
