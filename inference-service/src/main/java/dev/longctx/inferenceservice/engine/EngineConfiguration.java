package dev.longctx.inferenceservice.engine;

import dev.longctx.engine.serving.Engines;
import dev.longctx.engine.serving.ServingConfig;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** The production engine: the Qwen2 CPU engine with the scheduler, sized by {@code longctx.engine.*}. */
@Configuration(proxyBeanMethods = false)
class EngineConfiguration {

    @Bean
    EngineLauncher engineLauncher(EngineProperties properties) {
        ServingConfig defaults = ServingConfig.defaults();
        int maxWaiting = properties.maxWaiting() != null && properties.maxWaiting() > 0
                ? properties.maxWaiting() : defaults.maxWaiting();
        int maxNumSeqs = properties.maxNumSeqs() != null && properties.maxNumSeqs() > 0
                ? properties.maxNumSeqs() : defaults.maxNumSeqs();
        return (dir, options) -> Engines.open(dir, options,
                new ServingConfig(maxNumSeqs, maxWaiting, defaults.maxModelLen()));
    }
}
