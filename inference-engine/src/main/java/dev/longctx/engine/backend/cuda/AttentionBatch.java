package dev.longctx.engine.backend.cuda;

/**
 * The flattened metadata of one step's attention (built by the model runner, uploaded once per step, read by
 * every layer). All device arrays are int32.
 *
 * @param numSeqs        sequences in the step
 * @param numTokens      new tokens in the step (rows of q and of the outputs)
 * @param maxSeqLen      the largest {@code seqLens} entry (sizes the decode split grid)
 * @param cuSeqlensQ     [numSeqs + 1]: sequence s owns rows [cuSeqlensQ[s], cuSeqlensQ[s+1])
 * @param seqLens        [numSeqs]: keys of s once this step's K/V are written; the new tokens are its last ones,
 *                       so row r of s is at position seqLens[s] − qlen_s + r
 * @param blockTables    [numSeqs][maxBlocksPerSeq]: physical KV block of each logical block
 * @param scaleLens      [numSeqs]: the DCA temperature input: 0 for the {@code position} rule (the row at p uses
 *                       s_f(p + 1)), T > 0 for the {@code request} rule (every row uses s_f(T))
 */
public record AttentionBatch(int numSeqs, int numTokens, int maxSeqLen, CudaMemory cuSeqlensQ, CudaMemory seqLens,
                             CudaMemory blockTables, int maxBlocksPerSeq, CudaMemory scaleLens) {

    public AttentionBatch {
        if (numSeqs <= 0 || numTokens <= 0 || maxSeqLen <= 0 || maxBlocksPerSeq <= 0) {
            throw new IllegalArgumentException("attention batch needs positive sizes, got " + numSeqs + " seqs, "
                    + numTokens + " tokens, max length " + maxSeqLen + ", " + maxBlocksPerSeq + " blocks per seq");
        }
        if (cuSeqlensQ.bytes() < 4L * (numSeqs + 1) || seqLens.bytes() < 4L * numSeqs || scaleLens.bytes() < 4L * numSeqs
                || blockTables.bytes() < 4L * numSeqs * maxBlocksPerSeq) {
            throw new IllegalArgumentException("attention metadata buffers are smaller than " + numSeqs + " sequences need");
        }
    }
}
