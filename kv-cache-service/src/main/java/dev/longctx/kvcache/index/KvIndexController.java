package dev.longctx.kvcache.index;

import dev.longctx.common.kvindex.KvAck;
import dev.longctx.common.kvindex.KvEventBatch;
import dev.longctx.common.kvindex.KvSnapshot;
import dev.longctx.common.kvindex.PrefixLookup;
import java.util.Map;
import org.springframework.http.HttpStatus;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.server.ServerWebInputException;
import reactor.core.publisher.Mono;

/** The index's HTTP face; see {@link KvIndex} for what each call does in Redis. */
@RestController
class KvIndexController {
    private final KvIndex index;

    KvIndexController(KvIndex index) {
        this.index = index;
    }

    @PostMapping("/internal/kv/events")
    Mono<KvAck> events(@RequestBody KvEventBatch batch) {
        requireInstance(batch.instanceId());
        return index.apply(batch);
    }

    @PutMapping("/internal/kv/snapshot")
    Mono<KvAck> snapshot(@RequestBody KvSnapshot snapshot) {
        requireInstance(snapshot.instanceId());
        return index.resync(snapshot);
    }

    @PostMapping("/internal/kv/lookup")
    Mono<PrefixLookup.Result> lookup(@RequestBody PrefixLookup lookup) {
        return index.lookup(lookup);
    }

    /** Instance id → blocks held. */
    @GetMapping("/internal/kv/instances")
    Mono<Map<String, Long>> instances() {
        return index.sizes();
    }

    @DeleteMapping("/internal/kv/instances/{id}")
    @ResponseStatus(HttpStatus.NO_CONTENT)
    Mono<Void> forget(@PathVariable String id) {
        return index.purge(id);
    }

    private static void requireInstance(String id) {
        if (id == null || id.isBlank()) throw new ServerWebInputException("instance_id is required");
    }

    /** Redis away: the caller (an instance or the gateway) falls back; say so plainly, no stack trace. */
    @ExceptionHandler({org.springframework.dao.DataAccessException.class, io.lettuce.core.RedisException.class})
    @ResponseStatus(HttpStatus.SERVICE_UNAVAILABLE)
    Map<String, Object> redisDown(RuntimeException e) {
        return Map.of("error", Map.of("message", "the KV index store is unavailable", "type", "ServiceUnavailable",
                "code", 503));
    }
}
