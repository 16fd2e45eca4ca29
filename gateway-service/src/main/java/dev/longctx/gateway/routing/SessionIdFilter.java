package dev.longctx.gateway.routing;

import org.springframework.stereotype.Component;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;
import reactor.core.publisher.Mono;

/**
 * Carries the client's {@code X-Session-Id} header to the router through the Reactor context, so session
 * affinity needs nothing from the API handlers.
 */
@Component
public class SessionIdFilter implements WebFilter {
    public static final String HEADER = "X-Session-Id";
    static final String CONTEXT_KEY = "longctx.session-id";

    @Override
    public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
        String session = exchange.getRequest().getHeaders().getFirst(HEADER);
        if (session == null || session.isBlank() || session.length() > 256) return chain.filter(exchange);
        return chain.filter(exchange).contextWrite(ctx -> ctx.put(CONTEXT_KEY, session));
    }
}
