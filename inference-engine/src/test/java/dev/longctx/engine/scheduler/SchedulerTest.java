package dev.longctx.engine.scheduler;

import dev.longctx.engine.kv.BlockAllocator;
import dev.longctx.engine.kv.BlockManager;
import dev.longctx.engine.kv.PrefixSalt;
import dev.longctx.engine.kv.PrefixSalts;
import dev.longctx.engine.sampling.SamplingParams;
import dev.longctx.engine.serving.EngineException;
import dev.longctx.engine.serving.EngineException.Kind;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SchedulerTest {
    private static final PrefixSalt SALT = PrefixSalts.fixed("fake").forRequest(0, null, null);
    private static final int BS = 4;

    /** A scheduler over a fresh cache plus the fake model, driven step by step the way the engine loop does. */
    private static final class Harness {
        final BlockManager blocks;
        final Scheduler scheduler;
        final FakeKvModel model;
        final List<ScheduledBatch> batches = new ArrayList<>();

        Harness(int numBlocks, SchedulerConfig config) {
            blocks = new BlockManager(new BlockAllocator(numBlocks), BS);
            scheduler = new Scheduler(config, blocks);
            model = new FakeKvModel(numBlocks, BS);
        }

        Sequence add(String id, int[] prompt, int maxTokens) {
            Sequence seq = new Sequence(id, prompt, SamplingParams.greedy(maxTokens), null, blocks.newTable(SALT), null, null);
            scheduler.add(seq);
            return seq;
        }

        ScheduledBatch step() {
            ScheduledBatch batch = scheduler.schedule();
            batches.add(batch);
            float[][] logits = model.run(batch);
            scheduler.completeStep(batch);
            int row = 0;
            for (ScheduledChunk chunk : batch.chunks()) {
                if (!chunk.needsLogits()) continue;
                Sequence seq = chunk.sequence();
                seq.appendToken(new GreedySampler().sample(logits[row++], seq.sampling(), new int[0], new int[0], null));
                if (seq.numOutputTokens() >= seq.sampling().maxTokens()) scheduler.finish(seq);
            }
            return batch;
        }

        void runToEnd() {
            for (int i = 0; i < 10_000 && scheduler.hasUnfinished(); i++) step();
            assertThat(scheduler.hasUnfinished()).as("all sequences finished").isFalse();
        }
    }

    private static int[] prompt(int seed, int length) {
        return IntStream.range(0, length).map(i -> (seed * 7 + i * 3) % FakeKvModel.VOCAB).toArray();
    }

    private static SchedulerConfig config(int budget, int maxSeqs) {
        return new SchedulerConfig(budget, maxSeqs, 64, 4096);
    }

    @Test
    void longPromptIsPrefilledInPiecesWithinTheTokenBudget() {
        Harness h = new Harness(64, config(16, 4));
        Sequence seq = h.add("long", prompt(1, 50), 3);

        List<int[]> pieces = new ArrayList<>();   // {start, length, needsLogits}
        for (int i = 0; i < 4; i++) {
            ScheduledChunk c = h.step().chunks().getFirst();
            pieces.add(new int[] {c.startPosition(), c.numTokens(), c.needsLogits() ? 1 : 0});
        }

        assertThat(pieces).containsExactly(new int[] {0, 16, 0}, new int[] {16, 16, 0}, new int[] {32, 16, 0},
                new int[] {48, 2, 1});
        h.runToEnd();
        assertThat(seq.outputTokenIds()).containsExactly(FakeKvModel.reference(prompt(1, 50), 3));
    }

    @Test
    void everyStepStaysWithinTheBudgetAndDecodesComeFirst() {
        Harness h = new Harness(256, config(10, 4));
        h.add("a", prompt(1, 7), 6);
        h.step();                                      // a's prompt (7 tokens)
        h.add("b", prompt(2, 30), 4);
        h.add("c", prompt(3, 5), 4);

        ScheduledBatch next = h.step();
        assertThat(next.chunks().getFirst().sequence().requestId()).isEqualTo("a");
        assertThat(next.chunks().getFirst().numTokens()).isEqualTo(1);
        assertThat(next.numTokens()).isEqualTo(10);    // a's decode, then 9 of b's prompt

        h.runToEnd();
        assertThat(h.batches).allSatisfy(b -> assertThat(b.numTokens()).isLessThanOrEqualTo(10));
    }

    @Test
    void runningSequencesDecodeTogetherInOneStep() {
        Harness h = new Harness(64, config(32, 4));
        Sequence a = h.add("a", prompt(1, 5), 3), b = h.add("b", prompt(2, 6), 3), c = h.add("c", prompt(3, 7), 3);
        assertThat(h.step().chunks()).hasSize(3);     // three prompts fit one step

        ScheduledBatch decodes = h.step();
        assertThat(decodes.chunks()).extracting(ScheduledChunk::numTokens).containsExactly(1, 1, 1);
        assertThat(decodes.chunks()).allMatch(ScheduledChunk::needsLogits).allMatch(ScheduledChunk::isDecode);
        h.runToEnd();
        assertThat(a.outputTokenIds()).containsExactly(FakeKvModel.reference(prompt(1, 5), 3));
        assertThat(b.outputTokenIds()).containsExactly(FakeKvModel.reference(prompt(2, 6), 3));
        assertThat(c.outputTokenIds()).containsExactly(FakeKvModel.reference(prompt(3, 7), 3));
    }

    @Test
    void waitingQueueRefusesRequestsBeyondItsBound() {
        BlockManager blocks = new BlockManager(new BlockAllocator(64), BS);
        Scheduler scheduler = new Scheduler(new SchedulerConfig(16, 1, 2, 4096), blocks);
        for (int i = 0; i < 2; i++) {
            scheduler.add(new Sequence("r" + i, prompt(i, 4), SamplingParams.greedy(1), null, blocks.newTable(SALT), null, null));
        }
        Sequence third = new Sequence("r2", prompt(2, 4), SamplingParams.greedy(1), null, blocks.newTable(SALT), null, null);

        assertThatThrownBy(() -> scheduler.add(third)).isInstanceOf(EngineException.class)
                .hasMessageContaining("queue is full")
                .extracting(e -> ((EngineException) e).kind()).isEqualTo(Kind.QUEUE_FULL);
        scheduler.schedule();                          // admits r0 (maxNumSeqs 1): room for one more
        scheduler.add(third);
        assertThat(scheduler.numWaiting()).isEqualTo(2);
    }

    @Test
    void promptWithNoRoomLeftInTheContextIsInvalid() {
        BlockManager blocks = new BlockManager(new BlockAllocator(64), BS);
        Scheduler scheduler = new Scheduler(new SchedulerConfig(16, 4, 4, 32), blocks);

        assertThatThrownBy(() -> scheduler.add(new Sequence("x", prompt(1, 32), SamplingParams.greedy(1), null,
                blocks.newTable(SALT), null, null)))
                .isInstanceOf(EngineException.class).hasMessageContaining("maximum context length is 32")
                .extracting(e -> ((EngineException) e).kind()).isEqualTo(Kind.INVALID_REQUEST);
        assertThatThrownBy(() -> scheduler.add(new Sequence("e", new int[0], SamplingParams.greedy(1), null,
                blocks.newTable(SALT), null, null)))
                .extracting(e -> ((EngineException) e).kind()).isEqualTo(Kind.INVALID_REQUEST);
        scheduler.add(new Sequence("ok", prompt(1, 31), SamplingParams.greedy(1), null, blocks.newTable(SALT), null, null));
    }

    @Test
    void preemptedSequencesRecomputeAndGenerateWhatAnUnpreemptedRunDoes() {
        // 12 blocks of 4 = 48 tokens for three sequences that grow to 13 + 24 = 37 tokens each: they cannot all fit
        Harness h = new Harness(12, config(64, 3));
        List<Sequence> seqs = List.of(h.add("a", prompt(1, 13), 24), h.add("b", prompt(2, 13), 24),
                h.add("c", prompt(3, 13), 24));

        h.runToEnd();

        assertThat(h.scheduler.numPreemptions()).as("the cache was small enough to force preemption").isPositive();
        for (int i = 0; i < 3; i++) {
            assertThat(seqs.get(i).outputTokenIds()).as(seqs.get(i).requestId())
                    .containsExactly(FakeKvModel.reference(prompt(i + 1, 13), 24));
        }
        assertThat(h.blocks.numFreeBlocks()).isEqualTo(12);
    }

    @Test
    void theMostRecentlyStartedSequenceIsPreemptedAndRequeuedFirst() {
        Harness h = new Harness(6, config(64, 3));
        Sequence a = h.add("a", prompt(1, 8), 20), b = h.add("b", prompt(2, 8), 20), c = h.add("c", prompt(3, 4), 20);
        h.step();                                      // a: 2 blocks, b: 2 blocks, c: 1 block, 1 free
        assertThat(h.scheduler.numRunning()).isEqualTo(3);

        // a and b each need a new block for their first decode: one is free, then c (newest) has to go
        ScheduledBatch next = h.step();
        assertThat(c.status()).isEqualTo(SequenceStatus.PREEMPTED);
        assertThat(c.numComputedTokens()).isZero();
        assertThat(next.chunks()).extracting(ch -> ch.sequence().requestId()).containsExactly("a", "b");
        assertThat(a.status()).isEqualTo(SequenceStatus.RUNNING);
        assertThat(b.status()).isEqualTo(SequenceStatus.RUNNING);
    }

    @Test
    void cancelledSequenceFreesItsBlocksAtTheNextStep() {
        Harness h = new Harness(16, config(64, 4));
        Sequence seq = h.add("x", prompt(1, 20), 10);
        h.step();
        assertThat(h.blocks.numFreeBlocks()).isEqualTo(16 - 5);   // 20 prompt tokens

        seq.cancel();
        ScheduledBatch batch = h.scheduler.schedule();

        assertThat(batch.isEmpty()).isTrue();
        assertThat(h.blocks.numFreeBlocks()).isEqualTo(16);
        assertThat(seq.status()).isEqualTo(SequenceStatus.FINISHED);
        assertThat(h.scheduler.drainAborted()).singleElement()
                .satisfies(a -> assertThat(a.error().kind()).isEqualTo(Kind.CANCELLED));
    }

    @Test
    void requestLargerThanTheWholeCacheFailsWithoutDisturbingOthers() {
        Harness h = new Harness(4, config(64, 4));      // 16 tokens in all
        Sequence huge = h.add("huge", prompt(1, 20), 2);
        Sequence fine = h.add("fine", prompt(2, 6), 2);

        h.step();

        assertThat(huge.status()).isEqualTo(SequenceStatus.FINISHED);
        assertThat(h.scheduler.drainAborted()).singleElement().satisfies(a -> {
            assertThat(a.sequence()).isSameAs(huge);
            assertThat(a.error().kind()).isEqualTo(Kind.OUT_OF_KV_CACHE);
            assertThat(a.error().getMessage()).contains("needs 6 KV blocks").contains("budget is 4 blocks");
        });
        h.runToEnd();
        assertThat(fine.outputTokenIds()).containsExactly(FakeKvModel.reference(prompt(2, 6), 2));
    }

    @Test
    void sequenceThatOutgrowsTheWholeCacheWhileDecodingFailsCleanly() {
        Harness h = new Harness(4, config(64, 4));      // 16 tokens; 10 + 20 will not fit
        Sequence seq = h.add("grows", prompt(1, 10), 20);

        for (int i = 0; i < 50 && h.scheduler.hasUnfinished(); i++) h.step();

        assertThat(seq.status()).isEqualTo(SequenceStatus.FINISHED);
        // the prefill's token plus decodes at positions 10..15; the token after position 15 has no slot left
        assertThat(seq.numOutputTokens()).isEqualTo(7);
        assertThat(h.scheduler.drainAborted()).singleElement()
                .satisfies(a -> assertThat(a.error().kind()).isEqualTo(Kind.OUT_OF_KV_CACHE));
        assertThat(h.blocks.numFreeBlocks()).isEqualTo(4);
    }

    @Test
    void secondRequestWithTheSamePromptSkipsTheCachedBlocks() {
        Harness h = new Harness(32, config(64, 4));
        Sequence first = h.add("first", prompt(1, 18), 2);
        h.runToEnd();

        Sequence second = h.add("second", prompt(1, 18), 2);
        ScheduledChunk chunk = h.step().chunks().getFirst();

        assertThat(chunk.startPosition()).isEqualTo(16);           // 4 full blocks cached
        assertThat(second.numCachedTokens()).isEqualTo(16);
        assertThat(h.blocks.prefixHitTokens()).isEqualTo(16);
        h.runToEnd();
        assertThat(second.outputTokenIds()).containsExactly(first.outputTokenIds());
    }
}
