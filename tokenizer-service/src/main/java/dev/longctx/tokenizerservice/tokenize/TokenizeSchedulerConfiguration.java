package dev.longctx.tokenizerservice.tokenize;

import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * Tokenizing a long prompt takes tens of milliseconds of pure CPU; on the event loop that would stall every
 * other connection, so it gets its own bounded pool (not the shared boundedElastic, which blocking I/O elsewhere
 * could exhaust).
 */
@Configuration(proxyBeanMethods = false)
class TokenizeSchedulerConfiguration {

    @Bean(destroyMethod = "dispose")
    Scheduler tokenizeScheduler(TokenizeProperties properties) {
        return Schedulers.newBoundedElastic(properties.effectiveThreads(), properties.queuedTasks(), "tokenize");
    }
}
