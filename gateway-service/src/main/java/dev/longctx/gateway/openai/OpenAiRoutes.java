package dev.longctx.gateway.openai;

import static org.springframework.web.reactive.function.server.RequestPredicates.GET;
import static org.springframework.web.reactive.function.server.RequestPredicates.POST;
import static org.springframework.web.reactive.function.server.RouterFunctions.route;

import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.ServerResponse;

@Configuration(proxyBeanMethods = false)
public class OpenAiRoutes {
    @Bean
    RouterFunction<ServerResponse> openAiRouter(OpenAiHandler handler) {
        return route(POST("/v1/chat/completions"), handler::chatCompletions)
                .andRoute(POST("/v1/completions"), handler::completions)
                .andRoute(GET("/v1/models"), handler::models);
    }
}
