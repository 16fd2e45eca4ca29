package dev.longctx.engine.scheduler;

import dev.longctx.engine.sampling.SamplingParams;

import java.util.List;

/**
 * Token t reads "[t]". Finds stop strings across token boundaries and holds back text that could be the start
 * of one, as a real incremental detokenizer must.
 */
final class BracketDecoder implements OutputDecoder {

    static String text(int token) { return "[" + token + "]"; }

    @Override
    public String tokenText(int tokenId) { return text(tokenId); }

    @Override
    public RequestDecoder start(int[] promptTokenIds, SamplingParams params) {
        List<String> stops = params.stop();
        return new RequestDecoder() {
            private final StringBuilder all = new StringBuilder();
            private int emitted;

            @Override
            public TextDelta decode(int[] newTokenIds) {
                for (int t : newTokenIds) all.append(text(t));
                for (String stop : stops) {
                    int at = all.indexOf(stop);
                    if (at >= 0) return new TextDelta(take(at), true);
                }
                return new TextDelta(take(all.length() - heldBack()), false);
            }

            @Override
            public String flush() { return take(all.length()); }

            private int heldBack() {
                int held = 0;
                for (String stop : stops) {
                    for (int k = Math.min(stop.length() - 1, all.length()); k > held; k--) {
                        if (all.substring(all.length() - k).equals(stop.substring(0, k))) { held = k; break; }
                    }
                }
                return held;
            }

            private String take(int upTo) {
                String s = upTo > emitted ? all.substring(emitted, upTo) : "";
                emitted = Math.max(emitted, upTo);
                return s;
            }
        };
    }
}
