package dev.longctx.engine.scheduler;

import dev.longctx.engine.kv.BlockAllocator;
import dev.longctx.engine.kv.BlockManager;
import dev.longctx.engine.sampling.SamplingParams;
import dev.longctx.engine.serving.EngineException;
import dev.longctx.engine.serving.EngineException.Kind;
import dev.longctx.engine.serving.EngineRequest;
import dev.longctx.engine.serving.EngineStats;
import dev.longctx.engine.serving.GenerationOutput;
import dev.longctx.engine.serving.OutputListener;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class LlmEngineTest {
    private static final int BS = 4;
    private static final int EOS = 49;

    private LlmEngine engine;

    @AfterEach
    void closeEngine() {
        if (engine != null) engine.close();
    }

    /** Collects one request's outputs; completes when it finishes or fails. */
    private static final class Collector implements OutputListener {
        final List<GenerationOutput> outputs = Collections.synchronizedList(new ArrayList<>());
        final CompletableFuture<List<GenerationOutput>> done = new CompletableFuture<>();

        @Override
        public void onOutput(GenerationOutput output) {
            if (done.isDone()) throw new AssertionError("output after the end: " + output);
            outputs.add(output);
            if (output.finished()) done.complete(List.copyOf(outputs));
        }

        @Override
        public void onError(EngineException error) {
            if (!done.completeExceptionally(error)) throw new AssertionError("error after the end", error);
        }

        List<GenerationOutput> await() throws Exception { return done.get(10, TimeUnit.SECONDS); }

        EngineException awaitError() throws Exception {
            try {
                done.get(10, TimeUnit.SECONDS);
            } catch (java.util.concurrent.ExecutionException e) {
                return (EngineException) e.getCause();
            }
            throw new AssertionError("expected an error, got " + outputs);
        }
    }

    private static LlmEngine start(int numBlocks, int maxWaiting, ModelRunner runner) {
        BlockManager blocks = new BlockManager(new BlockAllocator(numBlocks), BS);
        var config = new LlmEngine.Config(new SchedulerConfig(32, 8, maxWaiting, 256), Set.of(EOS));
        return LlmEngine.start(config, blocks, runner, new GreedySampler(), new BracketDecoder());
    }

    private static int[] prompt(int seed, int length) {
        return IntStream.range(0, length).map(i -> (seed * 11 + i * 5) % 40).toArray();
    }

    private static int[] tokens(List<GenerationOutput> outputs) {
        return outputs.stream().flatMapToInt(o -> Arrays.stream(o.tokenIds())).toArray();
    }

    private static String text(List<GenerationOutput> outputs) {
        return String.join("", outputs.stream().map(GenerationOutput::text).toList());
    }

    private static SamplingParams params(int maxTokens, List<String> stop, Set<Integer> stopIds, boolean ignoreEos) {
        return new SamplingParams(0, 0, 1, 0, 1, 0, 0, null, maxTokens, stop, stopIds, ignoreEos);
    }

    /** The first {@code n} tokens the fake model generates after {@code prompt}, cut after EOS. */
    private static int[] expected(int[] prompt, int n) {
        int[] all = FakeKvModel.reference(prompt, n);
        for (int i = 0; i < all.length; i++) if (all[i] == EOS) return Arrays.copyOf(all, i + 1);
        return all;
    }

    @Test
    void concurrentRequestsAllFinishWithTheirOwnTokensInOrder() throws Exception {
        // 24 blocks for 32 requests of up to 40 tokens: they queue, share steps and get preempted
        engine = start(24, 64, new FakeKvModel(24, BS));
        int n = 32;
        List<Collector> collectors = new ArrayList<>();
        for (int i = 0; i < n; i++) collectors.add(new Collector());
        try (ExecutorService clients = Executors.newFixedThreadPool(8)) {
            for (int i = 0; i < n; i++) {
                int id = i;
                clients.submit(() -> engine.submit(new EngineRequest("r" + id, prompt(id, 10 + id % 7),
                        params(12 + id % 5, List.of(), Set.of(), true), null), collectors.get(id)));
            }
        }

        for (int i = 0; i < n; i++) {
            List<GenerationOutput> outs = collectors.get(i).await();
            int[] want = FakeKvModel.reference(prompt(i, 10 + i % 7), 12 + i % 5);
            assertThat(tokens(outs)).as("r" + i).containsExactly(want);
            assertThat(outs).extracting(GenerationOutput::completionTokens)
                    .containsExactlyElementsOf(IntStream.rangeClosed(1, want.length).boxed().toList());
            assertThat(outs.getLast().finishReason()).isEqualTo("length");
            assertThat(outs.subList(0, outs.size() - 1)).noneMatch(GenerationOutput::finished);
            assertThat(outs).allSatisfy(o -> assertThat(o.requestId()).isEqualTo("r" + outs.getFirst().requestId().substring(1)));
        }
        EngineStats stats = engine.stats();
        assertThat(stats.running()).isZero();
        assertThat(stats.waiting()).isZero();
        assertThat(stats.kvCacheUsage()).isZero();
        assertThat(stats.generationTokens()).isEqualTo(IntStream.range(0, n).map(i -> 12 + i % 5).sum());
        assertThat(stats.promptTokens()).isEqualTo(IntStream.range(0, n).map(i -> 10 + i % 7).sum());
    }

    @Test
    void finishReasonsStopOnEosStopTokenAndStopStringAndLengthOtherwise() throws Exception {
        engine = start(64, 8, new FakeKvModel(64, BS));
        // a prompt whose 8 tokens have no EOS and whose 3rd and 4th tokens do not occur earlier, so that a stop
        // on either can only fire at its own position
        int[] p = IntStream.range(0, 10_000).mapToObj(seed -> prompt(seed, 9)).filter(candidate -> {
            int[] r = FakeKvModel.reference(candidate, 8);
            return Arrays.stream(r).noneMatch(t -> t == EOS) && r[2] != r[0] && r[2] != r[1]
                    && Arrays.stream(r, 0, 3).noneMatch(t -> t == r[3]);
        }).findFirst().orElseThrow();
        int[] free = FakeKvModel.reference(p, 8);

        Collector length = new Collector(), stopToken = new Collector(), stopString = new Collector();
        engine.submit(new EngineRequest("len", p, params(8, List.of(), Set.of(), false), null), length);
        engine.submit(new EngineRequest("tok", p, params(8, List.of(), Set.of(free[2]), false), null), stopToken);
        String stop = BracketDecoder.text(free[3]);     // "[t]" of the 4th token
        engine.submit(new EngineRequest("str", p, params(8, List.of(stop), Set.of(), false), null), stopString);

        List<GenerationOutput> l = length.await();
        assertThat(l.getLast().finishReason()).isEqualTo("length");
        assertThat(tokens(l)).containsExactly(free);
        assertThat(text(l)).isEqualTo(String.join("", Arrays.stream(free).mapToObj(BracketDecoder::text).toList()));

        List<GenerationOutput> t = stopToken.await();
        assertThat(t.getLast().finishReason()).isEqualTo("stop");
        assertThat(tokens(t)).containsExactly(Arrays.copyOf(free, 3));

        List<GenerationOutput> s = stopString.await();
        assertThat(s.getLast().finishReason()).isEqualTo("stop");
        // the text is cut before the stop string; the token that completed it is still reported
        assertThat(text(s)).isEqualTo(String.join("", Arrays.stream(free, 0, 3).mapToObj(BracketDecoder::text).toList()));
        assertThat(tokens(s)).containsExactly(Arrays.copyOf(free, 4));
    }

    @Test
    void eosEndsGenerationUnlessIgnored() throws Exception {
        engine = start(64, 8, new FakeKvModel(64, BS));
        // find a prompt whose continuation hits EOS early
        int seed = IntStream.range(0, 10_000).filter(s -> {
            int[] r = FakeKvModel.reference(prompt(s, 6), 6);
            return Arrays.stream(r).anyMatch(t -> t == EOS);
        }).findFirst().orElseThrow();
        int[] p = prompt(seed, 6);

        Collector stops = new Collector(), ignores = new Collector();
        engine.submit(new EngineRequest("eos", p, params(6, List.of(), Set.of(), false), null), stops);
        engine.submit(new EngineRequest("ign", p, params(6, List.of(), Set.of(), true), null), ignores);

        List<GenerationOutput> s = stops.await();
        assertThat(tokens(s)).containsExactly(expected(p, 6));
        assertThat(tokens(s)).endsWith(EOS);
        assertThat(s.getLast().finishReason()).isEqualTo("stop");
        assertThat(s.getLast().text()).doesNotContain(BracketDecoder.text(EOS));
        List<GenerationOutput> i = ignores.await();
        assertThat(tokens(i)).hasSize(6);
        assertThat(i.getLast().finishReason()).isEqualTo("length");
    }

    @Test
    void throwingListenerLosesItsRequestButNotTheLoop() throws Exception {
        engine = start(64, 8, new FakeKvModel(64, BS));
        OutputListener broken = new OutputListener() {
            @Override public void onOutput(GenerationOutput output) { throw new IllegalStateException("client gone"); }
            @Override public void onError(EngineException error) { throw new IllegalStateException("still gone"); }
        };
        engine.submit(new EngineRequest("broken", prompt(1, 8), params(50, List.of(), Set.of(), true), null), broken);
        Collector ok = new Collector();
        engine.submit(new EngineRequest("ok", prompt(2, 8), params(20, List.of(), Set.of(), true), null), ok);

        assertThat(tokens(ok.await())).containsExactly(FakeKvModel.reference(prompt(2, 8), 20));
        assertThat(engine.stats().running()).isZero();   // the broken one was dropped, not left running
    }

    @Test
    void cancelledRequestIsDroppedAndItsBlocksFreed() throws Exception {
        CountDownLatch firstStep = new CountDownLatch(1);
        FakeKvModel model = new FakeKvModel(64, BS);
        engine = start(64, 8, batch -> {
            firstStep.countDown();
            sleep(2);
            return model.run(batch);
        });
        Collector c = new Collector();
        var handle = engine.submit(new EngineRequest("x", prompt(1, 20), params(200, List.of(), Set.of(), true), null), c);
        firstStep.await();
        handle.cancel();

        assertThat(c.awaitError().kind()).isEqualTo(Kind.CANCELLED);
        assertThat(engine.stats().kvCacheUsage()).isZero();
    }

    @Test
    void submitBeyondTheWaitingBoundIsRefusedWithQueueFull() throws Exception {
        CountDownLatch inStep = new CountDownLatch(1), release = new CountDownLatch(1);
        FakeKvModel model = new FakeKvModel(64, BS);
        engine = start(64, 2, batch -> {          // the first step blocks, so later submits stay waiting
            inStep.countDown();
            await(release);
            return model.run(batch);
        });
        Collector first = new Collector();
        engine.submit(new EngineRequest("first", prompt(1, 4), params(2, List.of(), Set.of(), true), null), first);
        inStep.await();
        Collector w1 = new Collector(), w2 = new Collector();
        engine.submit(new EngineRequest("w1", prompt(2, 4), params(2, List.of(), Set.of(), true), null), w1);
        engine.submit(new EngineRequest("w2", prompt(3, 4), params(2, List.of(), Set.of(), true), null), w2);

        assertThatThrownBy(() -> engine.submit(new EngineRequest("w3", prompt(4, 4),
                params(2, List.of(), Set.of(), true), null), new Collector()))
                .isInstanceOf(EngineException.class)
                .extracting(e -> ((EngineException) e).kind()).isEqualTo(Kind.QUEUE_FULL);
        assertThat(engine.stats().waiting()).isEqualTo(2);
        release.countDown();
        first.await();
        w1.await();
        w2.await();
    }

    @Test
    void tooLongPromptIsRejectedAtSubmit() {
        engine = start(64, 8, new FakeKvModel(64, BS));
        assertThatThrownBy(() -> engine.submit(new EngineRequest("long", prompt(1, 256),
                params(2, List.of(), Set.of(), true), null), new Collector()))
                .isInstanceOf(EngineException.class)
                .extracting(e -> ((EngineException) e).kind()).isEqualTo(Kind.INVALID_REQUEST);
        assertThat(engine.maxModelLen()).isEqualTo(256);
    }

    @Test
    void requestTooLargeForTheCacheGetsOutOfKvCache() throws Exception {
        engine = start(4, 8, new FakeKvModel(4, BS));      // 16 tokens of KV
        Collector c = new Collector();
        engine.submit(new EngineRequest("big", prompt(1, 30), params(2, List.of(), Set.of(), true), null), c);
        EngineException e = c.awaitError();
        assertThat(e.kind()).isEqualTo(Kind.OUT_OF_KV_CACHE);
        assertThat(e.getMessage()).contains("budget is 4 blocks");
    }

    @Test
    void failingModelFailsTheStepsRequestsAndTheEngineCarriesOn() throws Exception {
        FakeKvModel model = new FakeKvModel(64, BS);
        engine = start(64, 8, batch -> {
            if (batch.chunks().stream().anyMatch(c -> c.sequence().requestId().equals("poison"))) {
                throw new IllegalStateException("device lost");
            }
            return model.run(batch);
        });
        Collector poison = new Collector();
        engine.submit(new EngineRequest("poison", prompt(1, 8), params(4, List.of(), Set.of(), true), null), poison);
        assertThat(poison.awaitError()).hasMessageContaining("device lost")
                .extracting(EngineException::kind).isEqualTo(Kind.INTERNAL);

        Collector ok = new Collector();
        engine.submit(new EngineRequest("ok", prompt(2, 8), params(4, List.of(), Set.of(), true), null), ok);
        assertThat(tokens(ok.await())).containsExactly(FakeKvModel.reference(prompt(2, 8), 4));
    }

    @Test
    void closeFailsPendingRequestsAndRefusesNewOnes() throws Exception {
        FakeKvModel model = new FakeKvModel(64, BS);
        CountDownLatch running = new CountDownLatch(1);
        engine = start(64, 8, batch -> {
            running.countDown();
            sleep(2);
            return model.run(batch);
        });
        Collector a = new Collector(), b = new Collector();
        engine.submit(new EngineRequest("a", prompt(1, 8), params(200, List.of(), Set.of(), true), null), a);
        engine.submit(new EngineRequest("b", prompt(2, 8), params(200, List.of(), Set.of(), true), null), b);
        running.await();

        engine.close();

        assertThat(a.awaitError().kind()).isEqualTo(Kind.INTERNAL);
        assertThat(b.awaitError()).hasMessageContaining("shut down");
        assertThatThrownBy(() -> engine.submit(new EngineRequest("late", prompt(3, 8),
                params(2, List.of(), Set.of(), true), null), new Collector()))
                .isInstanceOf(EngineException.class).hasMessageContaining("shut down");
    }

    @Test
    void repeatedPromptIsServedFromThePrefixCache() throws Exception {
        engine = start(64, 8, new FakeKvModel(64, BS));
        int[] p = prompt(5, 21);
        Collector first = new Collector(), second = new Collector();
        engine.submit(new EngineRequest("1", p, params(3, List.of(), Set.of(), true), null), first);
        List<GenerationOutput> one = first.await();
        engine.submit(new EngineRequest("2", p, params(3, List.of(), Set.of(), true), null), second);
        List<GenerationOutput> two = second.await();

        assertThat(one.getLast().cachedPromptTokens()).isZero();
        assertThat(two.getLast().cachedPromptTokens()).isEqualTo(20);
        assertThat(tokens(two)).containsExactly(tokens(one));
        assertThat(engine.stats().prefixCacheHits()).isEqualTo(20);
        assertThat(engine.stats().prefixCacheQueries()).isEqualTo(42);
    }

    @Test
    void generationStopsWithLengthAtTheContextLimit() throws Exception {
        engine = start(128, 8, new FakeKvModel(128, BS));   // maxModelLen 256
        Collector c = new Collector();
        engine.submit(new EngineRequest("edge", prompt(1, 250), params(100, List.of(), Set.of(), true), null), c);

        List<GenerationOutput> outs = c.await();
        assertThat(outs).hasSize(6);
        assertThat(outs.getLast().finishReason()).isEqualTo("length");
        assertThat(tokens(outs)).containsExactly(FakeKvModel.reference(prompt(1, 250), 6));
    }

    @Test
    void requestsWithDifferentCacheSaltsDoNotShareBlocks() throws Exception {
        engine = start(64, 8, new FakeKvModel(64, BS));
        int[] p = prompt(6, 17);
        Collector a = new Collector(), b = new Collector(), c = new Collector();
        engine.submit(new EngineRequest("a", p, params(2, List.of(), Set.of(), true), null), "tenant-a", a);
        a.await();
        engine.submit(new EngineRequest("b", p, params(2, List.of(), Set.of(), true), null), "tenant-b", b);
        engine.submit(new EngineRequest("c", p, params(2, List.of(), Set.of(), true), null), "tenant-a", c);

        assertThat(b.await().getLast().cachedPromptTokens()).isZero();
        assertThat(c.await().getLast().cachedPromptTokens()).isEqualTo(16);
    }

    @Test
    void smallCacheForcesPreemptionAndTheOutputsStayExact() throws Exception {
        engine = start(12, 64, new FakeKvModel(12, BS));    // 48 tokens for 4 requests growing to 40 each
        List<Collector> cs = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            Collector c = new Collector();
            cs.add(c);
            engine.submit(new EngineRequest("p" + i, prompt(i, 12), params(28, List.of(), Set.of(), true), null), c);
        }
        for (int i = 0; i < 4; i++) {
            assertThat(tokens(cs.get(i).await())).containsExactly(FakeKvModel.reference(prompt(i, 12), 28));
        }
        assertThat(engine.numPreemptions()).isPositive();
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void await(CountDownLatch latch) {
        try {
            latch.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
