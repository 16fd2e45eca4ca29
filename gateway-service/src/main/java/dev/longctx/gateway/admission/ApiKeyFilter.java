package dev.longctx.gateway.admission;

import dev.longctx.gateway.config.GatewayProperties;
import dev.longctx.gateway.errors.ApiException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpHeaders;
import org.springframework.stereotype.Component;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;
import reactor.core.publisher.Mono;

/**
 * Like vLLM's --api-key: when keys are configured, every /v1 route needs {@code Authorization: Bearer <key>};
 * /health, /metrics and /version stay open for probes and scrapers.
 */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE + 10)
public class ApiKeyFilter implements WebFilter {
    private final List<byte[]> keys;

    public ApiKeyFilter(GatewayProperties properties) {
        // An empty entry (e.g. from an unset environment variable) must not become a valid empty key.
        this.keys = properties.apiKeys().stream()
                .filter(key -> key != null && !key.isBlank())
                .map(key -> key.strip().getBytes(StandardCharsets.UTF_8))
                .toList();
    }

    @Override
    public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
        if (keys.isEmpty() || !exchange.getRequest().getPath().value().startsWith("/v1")) {
            return chain.filter(exchange);
        }
        String header = exchange.getRequest().getHeaders().getFirst(HttpHeaders.AUTHORIZATION);
        if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7) || !known(header.substring(7).trim())) {
            return Mono.error(new ApiException(401, "Invalid or missing API key."));
        }
        return chain.filter(exchange);
    }

    /** Constant-time comparison so response timing does not reveal how much of a key matched. */
    private boolean known(String presented) {
        byte[] bytes = presented.getBytes(StandardCharsets.UTF_8);
        boolean match = false;
        for (byte[] key : keys) {
            match |= MessageDigest.isEqual(key, bytes);
        }
        return match;
    }
}
