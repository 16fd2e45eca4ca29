package dev.longctx.gateway.admission;

import dev.longctx.gateway.config.GatewayProperties;
import io.github.resilience4j.ratelimiter.RateLimiter;
import io.github.resilience4j.ratelimiter.RateLimiterConfig;
import io.github.resilience4j.reactor.ratelimiter.operator.RateLimiterOperator;
import java.time.Duration;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.stereotype.Component;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;
import reactor.core.publisher.Mono;

/**
 * {@code rate-limit} requests per second over all /v1 traffic. A request over the limit is refused at once
 * (429) rather than delayed: a client can back off, a held connection helps no one.
 */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE + 20)
public class RateLimitFilter implements WebFilter {
    private final RateLimiter limiter;

    public RateLimitFilter(GatewayProperties properties) {
        this.limiter = properties.rateLimit() > 0 ? limiter(properties.rateLimit()) : null;
    }

    /** Fractional rates (0.5/s) become one permit per 1/rate seconds; whole rates refresh each second. */
    private static RateLimiter limiter(double perSecond) {
        int permits = perSecond >= 1 ? (int) Math.round(perSecond) : 1;
        Duration period = perSecond >= 1 ? Duration.ofSeconds(1) : Duration.ofMillis(Math.round(1000 / perSecond));
        return RateLimiter.of("gateway", RateLimiterConfig.custom()
                .limitForPeriod(permits)
                .limitRefreshPeriod(period)
                .timeoutDuration(Duration.ZERO)
                .build());
    }

    @Override
    public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
        if (limiter == null || !exchange.getRequest().getPath().value().startsWith("/v1")) {
            return chain.filter(exchange);
        }
        // RequestNotPermitted from the operator is answered 429 by the global error handler.
        return chain.filter(exchange).transformDeferred(RateLimiterOperator.of(limiter));
    }
}
