package dev.longctx.engine.serving;

import dev.longctx.engine.generate.StopChecker;
import dev.longctx.engine.sampling.SamplingParams;
import dev.longctx.engine.scheduler.OutputDecoder;
import dev.longctx.engine.tokenizer.IncrementalDetokenizer;
import dev.longctx.engine.tokenizer.TextTokenizer;
import java.util.Set;

/**
 * The engine's detokenizer: incremental UTF-8-safe text per token, with stop strings found by a
 * {@link StopChecker} (which holds back text that may start a stop string). EOS and length are decided by the
 * engine loop, so the checker sees no EOS ids and no token limit here.
 */
public final class DetokenizingOutputDecoder implements OutputDecoder {
    private final TextTokenizer tokenizer;

    public DetokenizingOutputDecoder(TextTokenizer tokenizer) {
        this.tokenizer = tokenizer;
    }

    @Override
    public String tokenText(int tokenId) {
        return tokenizer.decode(new int[] {tokenId}, false);
    }

    @Override
    public RequestDecoder start(int[] promptTokenIds, SamplingParams params) {
        IncrementalDetokenizer detok = new IncrementalDetokenizer(tokenizer, true, promptTokenIds);
        SamplingParams stringsOnly = new SamplingParams(params.temperature(), params.topK(), params.topP(),
                params.minP(), params.repetitionPenalty(), params.presencePenalty(), params.frequencyPenalty(),
                params.seed(), Integer.MAX_VALUE, params.stop(), Set.of(), true);
        StopChecker stops = new StopChecker(stringsOnly, Set.of());
        return new RequestDecoder() {
            @Override
            public TextDelta decode(int[] newTokenIds) {
                StringBuilder text = new StringBuilder();
                for (int id : newTokenIds) {
                    StopChecker.Step step = stops.onToken(id, detok.add(id));
                    text.append(step.text());
                    if (step.finished()) return new TextDelta(text.toString(), true);
                }
                return new TextDelta(text.toString(), false);
            }

            @Override
            public String flush() {
                return stops.finish(StopChecker.LENGTH).text() + detok.flush();
            }
        };
    }
}
