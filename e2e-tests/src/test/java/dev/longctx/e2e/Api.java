package dev.longctx.e2e;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** A thin OpenAI-API client over the JDK HttpClient (HTTP/1.1, like most SDKs): JSON in, status + JSON out, SSE. */
final class Api {
    static final JsonMapper JSON = JsonMapper.builder().build();

    private static final HttpClient CLIENT = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();

    private final URI base;
    private final String apiKey;

    Api(URI base, String apiKey) {
        this.base = base;
        this.apiKey = apiKey;
    }

    /** The main gateway, authenticated. */
    static Api of(Stack stack) {
        return new Api(stack.gatewayUrl(), stack.apiKey());
    }

    Api withKey(String key) {
        return new Api(base, key);
    }

    record Response(int status, String contentType, String body) {
        JsonNode json() {
            return JSON.readTree(body);
        }
    }

    Response get(String path) {
        return send(request(path).GET().build());
    }

    Response post(String path, Map<String, ?> body) {
        return postRaw(path, JSON.writeValueAsString(body));
    }

    Response postRaw(String path, String body) {
        return send(request(path).POST(HttpRequest.BodyPublishers.ofString(body)).build());
    }

    /** For requests that legitimately take minutes (a long prefill); others keep the 60 s bound. */
    Response post(String path, Map<String, ?> body, Duration timeout) {
        return send(request(path).timeout(timeout).POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body))).build());
    }

    /** Opens a streaming request; the caller reads events and must close it. */
    Sse stream(String path, Map<String, ?> body) {
        HttpRequest request = request(path).POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body))).build();
        try {
            return new Sse(CLIENT.send(request, HttpResponse.BodyHandlers.ofInputStream()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private HttpRequest.Builder request(String path) {
        HttpRequest.Builder builder = HttpRequest.newBuilder(base.resolve(path))
                .timeout(Duration.ofSeconds(60))
                .header("Content-Type", "application/json");
        if (apiKey != null) builder.header("Authorization", "Bearer " + apiKey);
        return builder;
    }

    private static Response send(HttpRequest request) {
        try {
            HttpResponse<String> response = CLIENT.send(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
            return new Response(response.statusCode(), response.headers().firstValue("Content-Type").orElse(""), response.body());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** A JSON object from alternating keys and values, in order. */
    static Map<String, Object> obj(Object... keysAndValues) {
        Map<String, Object> map = new LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) map.put((String) keysAndValues[i], keysAndValues[i + 1]);
        return map;
    }

    /** A chat request body with one user message, plus {@code more} fields. */
    static Map<String, Object> chat(String model, String userMessage, Object... more) {
        Map<String, Object> body = obj("model", model, "messages", List.of(obj("role", "user", "content", userMessage)));
        body.putAll(obj(more));
        return body;
    }

    static Map<String, Object> completion(String model, String prompt, Object... more) {
        Map<String, Object> body = obj("model", model, "prompt", prompt);
        body.putAll(obj(more));
        return body;
    }

    /**
     * A server-sent-event stream read event by event. {@link #close} before the end drops the connection (the
     * JDK client cannot reuse a half-read HTTP/1.1 connection, so it closes it), which the gateway must treat
     * as the client going away.
     */
    static final class Sse implements AutoCloseable {
        private final HttpResponse<InputStream> response;
        private final BufferedReader reader;

        Sse(HttpResponse<InputStream> response) {
            this.response = response;
            this.reader = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8));
        }

        int status() {
            return response.statusCode();
        }

        String contentType() {
            return response.headers().firstValue("Content-Type").orElse("");
        }

        /** The whole body as text (for a non-200 answer, which is plain JSON). */
        String body() {
            try {
                return new String(response.body().readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        /**
         * The next event's data (multi-line data joined by newlines), or null at the end of the stream. Fails on a
         * line that is neither {@code data:}, a comment nor blank: the OpenAI SDKs would choke on it too.
         */
        String next() {
            try {
                StringBuilder data = null;
                String line;
                while ((line = reader.readLine()) != null) {
                    if (line.isEmpty()) {
                        if (data != null) return data.toString();
                        continue;
                    }
                    if (line.startsWith(":")) continue;
                    if (!line.startsWith("data:")) throw new IllegalStateException("not an SSE data line: " + line);
                    String value = line.substring(5).startsWith(" ") ? line.substring(6) : line.substring(5);
                    if (data == null) data = new StringBuilder(value);
                    else data.append('\n').append(value);
                }
                return data == null ? null : data.toString();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        /** Every remaining event's data, in order. */
        List<String> rest() {
            List<String> events = new ArrayList<>();
            for (String event; (event = next()) != null; ) events.add(event);
            return events;
        }

        @Override
        public void close() {
            try {
                response.body().close();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
