package dev.longctx.inferenceservice.kvshare;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import dev.longctx.common.prefix.BlockHash;
import dev.longctx.engine.kv.KvBlockIo;
import dev.longctx.engine.serving.EngineException;
import dev.longctx.engine.serving.PrefixCache;
import dev.longctx.inferenceservice.engine.EngineHost;
import java.nio.ByteBuffer;
import java.util.List;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DefaultDataBufferFactory;
import org.springframework.http.MediaType;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * The holder's side of a KV pull: streams the cached blocks of a chain of names, in order, stopping at the
 * first one this instance does not hold ({@link KvBlockStream} format). The blocks are pinned for the duration,
 * so eviction cannot rewrite them mid-stream; the engine's lock is only taken to pin and unpin, off the event
 * loop.
 */
@RestController
class KvExportController {
    static final int MAX_BLOCKS = 1 << 16;

    /** @param hashes block names (hex), the chain from its first block on */
    @JsonIgnoreProperties(ignoreUnknown = true)
    record ExportRequest(List<String> hashes) {}

    private final EngineHost host;

    KvExportController(EngineHost host) {
        this.host = host;
    }

    @PostMapping(path = "/internal/kv/blocks", produces = MediaType.APPLICATION_OCTET_STREAM_VALUE)
    Flux<DataBuffer> export(@RequestBody ExportRequest request) {
        List<BlockHash> names = names(request);
        PrefixCache cache = host.engine().prefixCache().orElseThrow(() -> new EngineException(
                EngineException.Kind.INVALID_REQUEST, "this engine has no prefix cache to export from"));
        KvBlockIo io = cache.blockIo();
        return Flux.using(
                        () -> cache.withBlocks(blocks -> blocks.pin(names)),
                        ids -> Flux.concat(Mono.just(KvBlockStream.header(io.blockBytes())),
                                Flux.range(0, ids.length).map(i -> record(io, names.get(i), ids[i]))),
                        ids -> cache.withBlocks(blocks -> {
                            blocks.unpin(ids);
                            return null;
                        }))
                .map(bytes -> (DataBuffer) DefaultDataBufferFactory.sharedInstance.wrap(bytes))
                .subscribeOn(Schedulers.boundedElastic());
    }

    private static ByteBuffer record(KvBlockIo io, BlockHash name, int blockId) {
        ByteBuffer record = ByteBuffer.allocate(KvBlockStream.recordBytes(io.blockBytes()));
        record.put(name.bytes());
        io.read(blockId, record);
        KvBlockStream.seal(record);
        return record;
    }

    private static List<BlockHash> names(ExportRequest request) {
        if (request == null || request.hashes() == null || request.hashes().isEmpty()) {
            throw new EngineException(EngineException.Kind.INVALID_REQUEST, "hashes must name at least one block");
        }
        if (request.hashes().size() > MAX_BLOCKS) {
            throw new EngineException(EngineException.Kind.INVALID_REQUEST, "at most " + MAX_BLOCKS + " blocks per pull");
        }
        try {
            return request.hashes().stream().map(BlockHash::fromHex).toList();
        } catch (IllegalArgumentException e) {
            throw new EngineException(EngineException.Kind.INVALID_REQUEST, "hashes must be 64 hex digits each");
        }
    }
}
