package dev.longctx.tokenizerservice.tokenize;

import dev.longctx.common.wire.DetokenizeRequest;
import dev.longctx.common.wire.DetokenizeResponse;
import dev.longctx.common.wire.PackedTokenizeResponse;
import dev.longctx.common.wire.TokenizeRequest;
import dev.longctx.common.wire.TokenizeResponse;
import dev.longctx.common.wire.TokenizerInfo;
import org.springframework.http.MediaType;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Mono;

@RestController
class TokenizeController {

    private final TokenizeService service;

    TokenizeController(TokenizeService service) {
        this.service = service;
    }

    @PostMapping(path = "/tokenize", consumes = MediaType.APPLICATION_JSON_VALUE)
    Mono<TokenizeResponse> tokenize(@RequestBody TokenizeRequest request) {
        return service.tokenize(request);
    }

    /** For the gateway: the same tokens, packed (see {@code PackedTokenIds}). */
    @PostMapping(path = "/internal/tokenize", consumes = MediaType.APPLICATION_JSON_VALUE)
    Mono<PackedTokenizeResponse> tokenizePacked(@RequestBody TokenizeRequest request) {
        return service.tokenizePacked(request);
    }

    /** The limits the gateway enforces (context length, vocabulary); also its health probe of this service. */
    @GetMapping("/internal/info")
    TokenizerInfo info() {
        return service.info();
    }

    @PostMapping(path = "/detokenize", consumes = MediaType.APPLICATION_JSON_VALUE)
    Mono<DetokenizeResponse> detokenize(@RequestBody DetokenizeRequest request) {
        return service.detokenize(request);
    }
}
