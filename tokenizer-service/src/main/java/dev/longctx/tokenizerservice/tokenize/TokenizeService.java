package dev.longctx.tokenizerservice.tokenize;

import dev.longctx.common.wire.DetokenizeRequest;
import dev.longctx.common.wire.DetokenizeResponse;
import dev.longctx.common.wire.PackedTokenIds;
import dev.longctx.common.wire.PackedTokenizeResponse;
import dev.longctx.common.wire.TokenizeRequest;
import dev.longctx.common.wire.TokenizeResponse;
import dev.longctx.common.wire.TokenizerInfo;
import dev.longctx.tokenizerservice.backend.TokenizerBackend;
import dev.longctx.tokenizerservice.model.ModelMetadata;
import java.util.Arrays;
import org.springframework.stereotype.Service;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;

/** vLLM's tokenize/detokenize semantics over the model's tokenizer, run on the tokenize scheduler. */
@Service
public class TokenizeService {

    private final TokenizerBackend tokenizer;
    private final ModelMetadata model;
    private final Scheduler scheduler;
    private final int bosTokenId;

    public TokenizeService(TokenizerBackend tokenizer, ModelMetadata model, Scheduler tokenizeScheduler) {
        this.tokenizer = tokenizer;
        this.model = model;
        this.scheduler = tokenizeScheduler;
        this.bosTokenId = model.bosToken() == null ? -1 : tokenizer.tokenId(model.bosToken());
    }

    public Mono<TokenizeResponse> tokenize(TokenizeRequest request) {
        return Mono.fromCallable(() -> {
            int[] ids = tokenizeNow(request);
            return new TokenizeResponse(ids.length, model.maxModelLen(), Arrays.stream(ids).boxed().toList());
        }).subscribeOn(scheduler);
    }

    /** The same tokens packed for the gateway: a million ids without a million boxed Integers on either side. */
    public Mono<PackedTokenizeResponse> tokenizePacked(TokenizeRequest request) {
        return Mono.fromCallable(() -> {
            int[] ids = tokenizeNow(request);
            return new PackedTokenizeResponse(ids.length, model.maxModelLen(), PackedTokenIds.of(ids));
        }).subscribeOn(scheduler);
    }

    /**
     * What the gateway checks requests against. A prompt id is out of vocabulary above the larger of the
     * tokenizer's largest id and the model's last embedding row, as vLLM decides it.
     */
    public TokenizerInfo info() {
        int vocabSize = model.vocabSize() != null ? model.vocabSize() : tokenizer.vocabSize();
        return new TokenizerInfo(model.maxModelLen(), vocabSize, Math.max(tokenizer.vocabSize(), vocabSize) - 1);
    }

    public Mono<DetokenizeResponse> detokenize(DetokenizeRequest request) {
        return Mono.fromCallable(() -> detokenizeNow(request)).subscribeOn(scheduler);
    }

    private int[] tokenizeNow(TokenizeRequest request) {
        boolean hasPrompt = request.prompt() != null;
        boolean hasMessages = request.messages() != null;
        if (hasPrompt == hasMessages) {
            throw new InvalidRequestException("exactly one of 'prompt' or 'messages' is required");
        }
        String text;
        boolean addSpecialTokens;
        if (hasMessages) {
            if (request.messages().isEmpty()) {
                throw new InvalidRequestException("'messages' must not be empty");
            }
            // vLLM's chat defaults: the template already spells out the special tokens, and the caller usually
            // wants the assistant turn opened.
            text = tokenizer.renderChat(request.messages(), orDefault(request.addGenerationPrompt(), true));
            addSpecialTokens = orDefault(request.addSpecialTokens(), false);
        } else {
            text = request.prompt();
            addSpecialTokens = orDefault(request.addSpecialTokens(), true);
        }
        int[] ids = tokenizer.encode(text);
        if (addSpecialTokens && bosTokenId >= 0 && (ids.length == 0 || ids[0] != bosTokenId)) {
            int[] withBos = new int[ids.length + 1];
            withBos[0] = bosTokenId;
            System.arraycopy(ids, 0, withBos, 1, ids.length);
            ids = withBos;
        }
        return ids;
    }

    private DetokenizeResponse detokenizeNow(DetokenizeRequest request) {
        if (request.tokens() == null) {
            throw new InvalidRequestException("'tokens' is required");
        }
        int[] ids = new int[request.tokens().size()];
        for (int i = 0; i < ids.length; i++) {
            Integer id = request.tokens().get(i);
            if (id == null || id < 0) {
                throw new InvalidRequestException("tokens[" + i + "] is not a token id: " + id);
            }
            if (id >= tokenizer.vocabSize()) {
                throw new InvalidRequestException("Token id " + id + " is out of vocabulary");
            }
            ids[i] = id;
        }
        return new DetokenizeResponse(tokenizer.decode(ids));
    }

    private static boolean orDefault(Boolean value, boolean fallback) {
        return value == null ? fallback : value;
    }
}
