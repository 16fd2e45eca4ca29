package dev.longctx.inferenceservice.generate;

import dev.longctx.common.wire.GenerateEvent;
import dev.longctx.common.wire.GenerateRequest;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

@RestController
class GenerateController {

    private final GenerationService service;

    GenerateController(GenerationService service) {
        this.service = service;
    }

    /** One NDJSON line per engine step; the connection closing cancels the request in the engine. */
    @PostMapping(path = "/internal/generate", consumes = MediaType.APPLICATION_JSON_VALUE)
    Mono<ResponseEntity<Flux<GenerateEvent>>> generate(@RequestBody GenerateRequest request) {
        return service.generate(request)
                .map(events -> ResponseEntity.ok().contentType(MediaType.APPLICATION_NDJSON).body(events));
    }
}
