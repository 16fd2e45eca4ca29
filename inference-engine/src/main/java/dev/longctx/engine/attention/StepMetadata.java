package dev.longctx.engine.attention;

import java.util.Arrays;

/**
 * One forward step over several sequences, flattened once by the model runner (as nano-vllm's model_runner does)
 * into int arrays a GPU takes as they are. Sequence s owns token rows [cuSeqlensQ[s], cuSeqlensQ[s + 1]): its new
 * tokens at positions [startPositions[s], seqLens[s]); its keys are positions [0, seqLens[s]).
 *
 * @param tokenIds        [n] token id per row
 * @param positions       [n] absolute position per row
 * @param slotMapping     [n] where each row's K/V go: blockId × blockSize + position mod blockSize
 * @param cuSeqlensQ      [numSeqs + 1] first row of each sequence, then n
 * @param startPositions  [numSeqs] tokens already in the cache before this step
 * @param seqLens         [numSeqs] tokens in the cache after this step
 * @param blockTables     [numSeqs × maxBlocksPerSeq] row-major, −1 past a sequence's last block
 * @param scaleRule       the DCA temperature rule
 * @param requestLengths  [numSeqs] T of the request rule (prompt length in prefill, current length in decode); also
 *                        what the sparse threshold is compared with
 * @param sparse          [numSeqs] whether sparse prefill may run for the sequence (it also needs budgets, more
 *                        than one query and T over the threshold)
 * @param logitsRows      ascending rows whose logits are wanted
 * @param recorder        receives per-head recall when not null (CLI score --recall, calibration); costs a dense pass
 */
public record StepMetadata(int[] tokenIds, int[] positions, int[] slotMapping, int[] cuSeqlensQ,
                           int[] startPositions, int[] seqLens, int[] blockTables, int maxBlocksPerSeq, int blockSize,
                           DcaScaleRule scaleRule, long[] requestLengths, boolean[] sparse, int[] logitsRows,
                           RecallRecorder recorder) {

    public StepMetadata {
        int n = tokenIds.length, seqs = startPositions.length;
        if (positions.length != n || slotMapping.length != n || cuSeqlensQ.length != seqs + 1 || seqLens.length != seqs
                || requestLengths.length != seqs || sparse.length != seqs
                || blockTables.length != (long) seqs * maxBlocksPerSeq || cuSeqlensQ[seqs] != n || cuSeqlensQ[0] != 0) {
            throw new IllegalArgumentException("inconsistent step metadata: " + n + " tokens, " + seqs + " sequences");
        }
    }

    public int numTokens() { return tokenIds.length; }

    public int numSeqs() { return startPositions.length; }

    /** Rows (new tokens) of sequence s. */
    public int rows(int s) { return cuSeqlensQ[s + 1] - cuSeqlensQ[s]; }

    /** Sequence s's block ids, up to its last block. */
    public int[] blockTable(int s) {
        int blocks = (seqLens[s] + blockSize - 1) / blockSize;
        return Arrays.copyOfRange(blockTables, s * maxBlocksPerSeq, s * maxBlocksPerSeq + blocks);
    }

    /** Which rows of one sequence's new tokens need logits. */
    public enum Logits { NONE, LAST, ALL }

    /** Collects sequences for one step; {@link #build} flattens them. */
    public static final class Builder {
        private record Seq(int[] tokens, int start, int[] blockTable, long requestLength, boolean sparse, Logits logits) {}

        private final int blockSize;
        private final DcaScaleRule rule;
        private final RecallRecorder recorder;
        private final java.util.List<Seq> seqs = new java.util.ArrayList<>();
        private int numTokens;

        public Builder(int blockSize, DcaScaleRule rule, RecallRecorder recorder) {
            if (blockSize <= 0) throw new IllegalArgumentException("block size must be positive, got " + blockSize);
            this.blockSize = blockSize;
            this.rule = rule;
            this.recorder = recorder;
        }

        /**
         * @param tokens        new token ids, at positions [start, start + tokens.length)
         * @param blockTable    the sequence's blocks, covering at least start + tokens.length positions
         * @param requestLength T of the request rule and the sparse threshold
         */
        public Builder add(int[] tokens, int start, int[] blockTable, long requestLength, boolean sparse, Logits logits) {
            if (tokens.length == 0) throw new IllegalArgumentException("a sequence in a step needs at least one new token");
            if (start < 0) throw new IllegalArgumentException("start must be ≥ 0, got " + start);
            if ((long) blockTable.length * blockSize < (long) start + tokens.length) {
                throw new IllegalArgumentException("block table holds " + (long) blockTable.length * blockSize
                        + " tokens, the step needs " + ((long) start + tokens.length));
            }
            seqs.add(new Seq(tokens, start, blockTable, requestLength, sparse, logits));
            numTokens = Math.addExact(numTokens, tokens.length);
            return this;
        }

        public StepMetadata build() {
            int n = numTokens, count = seqs.size();
            int[] ids = new int[n], pos = new int[n], slots = new int[n], cu = new int[count + 1];
            int[] starts = new int[count], lens = new int[count];
            long[] requestLengths = new long[count];
            boolean[] sparse = new boolean[count];
            int maxBlocks = 0, logitRows = 0;
            for (Seq s : seqs) {
                maxBlocks = Math.max(maxBlocks, (s.start() + s.tokens().length + blockSize - 1) / blockSize);
                logitRows += switch (s.logits()) { case ALL -> s.tokens().length; case LAST -> 1; case NONE -> 0; };
            }
            int[] tables = new int[Math.multiplyExact(count, maxBlocks)];
            Arrays.fill(tables, -1);
            int[] logits = new int[logitRows];
            int row = 0, lr = 0;
            for (int i = 0; i < count; i++) {
                Seq s = seqs.get(i);
                cu[i] = row;
                starts[i] = s.start();
                lens[i] = s.start() + s.tokens().length;
                requestLengths[i] = s.requestLength();
                sparse[i] = s.sparse();
                System.arraycopy(s.blockTable(), 0, tables, i * maxBlocks, (lens[i] + blockSize - 1) / blockSize);
                for (int j = 0; j < s.tokens().length; j++, row++) {
                    int p = s.start() + j;
                    ids[row] = s.tokens()[j];
                    pos[row] = p;
                    slots[row] = Math.addExact(Math.multiplyExact(s.blockTable()[p / blockSize], blockSize), p % blockSize);
                }
                switch (s.logits()) {
                    case ALL -> { for (int r = cu[i]; r < row; r++) logits[lr++] = r; }
                    case LAST -> logits[lr++] = row - 1;
                    case NONE -> { }
                }
            }
            cu[count] = row;
            return new StepMetadata(ids, pos, slots, cu, starts, lens, tables, maxBlocks, blockSize, rule,
                    requestLengths, sparse, logits, recorder);
        }
    }
}
