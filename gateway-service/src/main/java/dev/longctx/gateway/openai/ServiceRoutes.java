package dev.longctx.gateway.openai;

import static org.springframework.web.reactive.function.server.RequestPredicates.GET;
import static org.springframework.web.reactive.function.server.RouterFunctions.route;

import dev.longctx.gateway.routing.Backend;
import dev.longctx.gateway.routing.BackendRegistry;
import dev.longctx.gateway.upstream.TokenizerHealth;
import java.util.Map;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.info.BuildProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.MediaType;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.ServerResponse;

/** vLLM's unversioned server routes: /health for load balancers and /version. */
@Configuration(proxyBeanMethods = false)
public class ServiceRoutes {
    /** The gateway's own version, in vLLM's {@code {"version": ...}} shape. */
    public record VersionInfo(String version) {}

    @Bean
    RouterFunction<ServerResponse> serviceRouter(BackendRegistry backends, TokenizerHealth tokenizer,
                                                 ObjectProvider<BuildProperties> build) {
        String version = build.getIfAvailable() != null ? build.getIfAvailable().getVersion() : "dev";
        return route(GET("/health"), request -> tokenizer.ready() && backends.all().stream().anyMatch(Backend::healthy)
                        // 200 with no body as vLLM; 503 while tokenizer-service does not answer or no backend can serve.
                        ? ServerResponse.ok().build()
                        : ServerResponse.status(503).build())
                .andRoute(GET("/version"), request -> ServerResponse.ok()
                        .contentType(MediaType.APPLICATION_JSON)
                        .bodyValue(new VersionInfo(version)));
    }
}
