package dev.longctx.gateway.openai;

import static org.springframework.web.reactive.function.server.RequestPredicates.GET;
import static org.springframework.web.reactive.function.server.RequestPredicates.POST;
import static org.springframework.web.reactive.function.server.RequestPredicates.path;
import static org.springframework.web.reactive.function.server.RouterFunctions.route;

import dev.longctx.gateway.errors.ApiException;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.ServerResponse;
import reactor.core.publisher.Mono;

@Configuration(proxyBeanMethods = false)
public class OpenAiRoutes {
    @Bean
    RouterFunction<ServerResponse> openAiRouter(OpenAiHandler handler) {
        return route(POST("/v1/chat/completions"), handler::chatCompletions)
                .andRoute(POST("/v1/completions"), handler::completions)
                .andRoute(GET("/v1/models"), handler::models)
                // {*id}, not {id}: served names are often "org/name", which a client may send unencoded.
                .andRoute(GET("/v1/models/{*id}"), handler::model)
                .andRoute(POST("/tokenize").or(POST("/detokenize")), handler::relayToTokenizer)
                // Router functions answer a known path with the wrong method as 404; clients expect 405.
                .andRoute(path("/v1/chat/completions").or(path("/v1/completions")).or(path("/v1/models"))
                                .or(path("/v1/models/{*id}")),
                        request -> Mono.error(new ApiException(405, "Method Not Allowed")));
    }
}
