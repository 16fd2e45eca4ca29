package dev.longctx.tokenizerservice.tokenize;

import dev.longctx.common.wire.DetokenizeRequest;
import dev.longctx.common.wire.DetokenizeResponse;
import dev.longctx.common.wire.TokenizeRequest;
import dev.longctx.common.wire.TokenizeResponse;
import org.springframework.http.MediaType;
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

    @PostMapping(path = "/detokenize", consumes = MediaType.APPLICATION_JSON_VALUE)
    Mono<DetokenizeResponse> detokenize(@RequestBody DetokenizeRequest request) {
        return service.detokenize(request);
    }
}
