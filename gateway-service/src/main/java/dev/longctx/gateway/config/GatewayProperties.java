package dev.longctx.gateway.config;

import jakarta.validation.Valid;
import jakarta.validation.constraints.AssertTrue;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.PositiveOrZero;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.validation.annotation.Validated;

/**
 * Everything the gateway is told from outside, under {@code longctx.gateway.*}. Validated at startup so a
 * gateway with no backends or a nonsensical timeout never starts serving.
 *
 * @param modelName the served model name clients must send in {@code model} (and /v1/models lists)
 * @param maxModelLen the context length to advertise and enforce; 0 = learn it from the tokenizer-service
 * @param tokenizerUrl base URL of tokenizer-service
 * @param backends base URLs of inference-service instances, always in rotation (health and breakers permitting);
 *                 empty = none, or {@code http://localhost:8082} when {@code discovery.dns} is unset too
 * @param apiKeys accepted bearer keys for /v1/**; empty = open
 * @param rateLimit admitted requests per second on /v1/** across all clients; 0 = off
 * @param firstTokenTimeout longest wait for an upstream's first event (prefill of 1M tokens takes minutes)
 * @param idleTimeout longest silence between two upstream events once tokens flow
 * @param tokenizeTimeout longest wait for tokenizer-service
 * @param maxQueue most generation requests the gateway holds at once; beyond that it answers 503; 0 = unbounded
 * @param maxAttempts how many backends one sequence may be tried on before its first event arrives
 * @param circuitBreaker per-backend breaker settings
 * @param healthCheckInterval how often tokenizer-service's and each backend's /internal/info is polled; 0 = never
 * @param probeTimeout longest wait for an /internal/info answer (health probes, learning the model's limits)
 * @param maxBodyBytes largest request body a client may send; 0 = sized from max_model_len (BodyLimits.clientBody:
 *                     16 bytes per token + 1 MiB), so a prompt of the whole context fits
 * @param bodyReadTimeout longest pause between two reads of a request body before the connection is closed
 * @param bodyTimeout longest time to receive a whole request body
 * @param discovery backends found by DNS, beside the static {@code backends}
 */
@Validated
@ConfigurationProperties("longctx.gateway")
public record GatewayProperties(
        @NotBlank @DefaultValue("Qwen/Qwen2.5-7B-Instruct-1M") String modelName,
        @PositiveOrZero @DefaultValue("0") int maxModelLen,
        @NotNull @DefaultValue("http://localhost:8081") URI tokenizerUrl,
        @NotNull @DefaultValue List<@NotNull URI> backends,
        @NotNull @DefaultValue List<String> apiKeys,
        @PositiveOrZero @DefaultValue("0") double rateLimit,
        @NotNull @DefaultValue("30m") Duration firstTokenTimeout,
        @NotNull @DefaultValue("60s") Duration idleTimeout,
        @NotNull @DefaultValue("60s") Duration tokenizeTimeout,
        @PositiveOrZero @DefaultValue("0") int maxQueue,
        @Min(1) @DefaultValue("3") int maxAttempts,
        @Valid @NotNull @DefaultValue CircuitBreakerSettings circuitBreaker,
        @NotNull @DefaultValue("10s") Duration healthCheckInterval,
        @NotNull @DefaultValue("5s") Duration probeTimeout,
        @PositiveOrZero @DefaultValue("0") long maxBodyBytes,
        @NotNull @DefaultValue("30s") Duration bodyReadTimeout,
        @NotNull @DefaultValue("5m") Duration bodyTimeout,
        @Valid @NotNull @DefaultValue Discovery discovery) {

    /** Where a gateway told nothing about its backends sends its requests: one inference-service beside it. */
    public static final URI DEFAULT_BACKEND = URI.create("http://localhost:8082");

    public GatewayProperties {
        if (backends != null && backends.isEmpty() && (discovery == null || !discovery.enabled())) {
            backends = List.of(DEFAULT_BACKEND);
        }
    }

    /**
     * Backends found by resolving one DNS name, e.g. a Kubernetes headless Service, whose answer is every ready
     * pod's address: each address becomes the backend {@code http://<address>:<port>}, so routing (and a KV pull
     * hint) can name one pod.
     *
     * @param dns      {@code host:port} to resolve; unset = no discovery
     * @param interval how often it is resolved; an address missing from two answers in a row is drained
     * @param ipFamily which addresses to take: {@code ipv4} (A records) or {@code ipv6} (AAAA)
     */
    public record Discovery(
            @Pattern(regexp = Discovery.HOST_PORT, message = "must be host:port, e.g. inference-pool:8002") String dns,
            @NotNull @DefaultValue("5s") Duration interval,
            @NotNull @DefaultValue("ipv4") IpFamily ipFamily) {

        /** A DNS name (a trailing dot allowed) and a port; empty = unset. */
        static final String HOST_PORT = "([A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*\\.?"
                + ":[0-9]{1,5})?";

        public enum IpFamily { IPV4, IPV6 }

        public boolean enabled() {
            return dns != null && !dns.isBlank();
        }

        public String host() {
            return dns.substring(0, dns.lastIndexOf(':'));
        }

        public int port() {
            return Integer.parseInt(dns.substring(dns.lastIndexOf(':') + 1));
        }

        @AssertTrue(message = "discovery.dns needs a port from 1 to 65535")
        public boolean isPortValid() {
            return !enabled() || !dns.matches(HOST_PORT) || port() >= 1 && port() <= 65535;
        }

        @AssertTrue(message = "discovery.interval must be positive")
        public boolean isIntervalPositive() {
            return interval == null || interval.isPositive();
        }
    }

    /**
     * @param failureRateThreshold percentage of failed calls in the window that opens the breaker
     * @param slidingWindowSize calls the failure rate is computed over
     * @param minimumCalls calls needed before the rate is judged at all
     * @param openDuration how long an open breaker keeps a backend out of rotation before probing it again
     */
    public record CircuitBreakerSettings(
            @Min(1) @DefaultValue("50") float failureRateThreshold,
            @Min(1) @DefaultValue("20") int slidingWindowSize,
            @Min(1) @DefaultValue("5") int minimumCalls,
            @NotNull @DefaultValue("10s") Duration openDuration) {}
}
