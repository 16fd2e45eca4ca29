package dev.longctx.gateway.upstream;

import java.time.Duration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.client.reactive.ReactorClientHttpConnector;
import org.springframework.http.codec.json.JacksonJsonDecoder;
import org.springframework.http.codec.json.JacksonJsonEncoder;
import org.springframework.web.reactive.function.client.WebClient;
import reactor.netty.http.client.HttpClient;
import reactor.netty.resources.ConnectionProvider;
import tools.jackson.databind.json.JsonMapper;

/** The one WebClient every upstream call goes through. */
@Configuration(proxyBeanMethods = false)
public class UpstreamClients {
    /** A 1M-token prompt is ~7 MB as a JSON id list (tokenize answer, generate request). */
    public static final int MAX_BODY_BYTES = 64 * 1024 * 1024;

    @Bean(destroyMethod = "dispose")
    ConnectionProvider upstreamConnections() {
        // Streams hold a connection for as long as a generation runs, so the pool must be as large as the
        // concurrency we admit, and a waiting acquire must not time out ahead of our own timeouts.
        return ConnectionProvider.builder("longctx-upstream")
                .maxConnections(4096)
                .pendingAcquireMaxCount(-1)
                .pendingAcquireTimeout(Duration.ofMinutes(5))
                .maxIdleTime(Duration.ofSeconds(30))
                .build();
    }

    @Bean
    WebClient upstreamWebClient(ConnectionProvider upstreamConnections, JsonMapper json) {
        HttpClient http = HttpClient.create(upstreamConnections)
                .option(io.netty.channel.ChannelOption.CONNECT_TIMEOUT_MILLIS, 5_000)
                .compress(false);
        return WebClient.builder()
                .clientConnector(new ReactorClientHttpConnector(http))
                .codecs(codecs -> {
                    codecs.defaultCodecs().maxInMemorySize(MAX_BODY_BYTES);
                    codecs.defaultCodecs().jacksonJsonDecoder(new JacksonJsonDecoder(json));
                    codecs.defaultCodecs().jacksonJsonEncoder(new JacksonJsonEncoder(json));
                })
                .build();
    }
}
