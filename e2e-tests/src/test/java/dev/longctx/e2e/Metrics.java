package dev.longctx.e2e;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.function.DoublePredicate;

/** Reads Prometheus text from the inference-services' /metrics, as a scraper would. */
final class Metrics {
    private static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    private Metrics() {}

    /** The sum of every sample of {@code name} (any labels) on one service. */
    static double scrape(URI service, String name) {
        HttpRequest request = HttpRequest.newBuilder(service.resolve("/metrics")).timeout(Duration.ofSeconds(5)).build();
        String text;
        try {
            text = CLIENT.send(request, HttpResponse.BodyHandlers.ofString()).body();
        } catch (IOException e) {
            throw new UncheckedIOException("scraping " + service, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        double sum = 0;
        boolean found = false;
        for (String line : text.split("\n")) {
            if (line.startsWith(name + "{") || line.startsWith(name + " ")) {
                sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
                found = true;
            }
        }
        if (!found) throw new AssertionError(service + "/metrics has no " + name);
        return sum;
    }

    static double sum(List<ServiceProcess> services, String name) {
        return services.stream().mapToDouble(s -> scrape(s.baseUrl(), name)).sum();
    }

    /**
     * Polls {@code name} summed over {@code services} until it satisfies {@code condition}; returns the last value
     * read, which the caller asserts on (so a timeout fails with the value that was seen).
     */
    static double awaitSum(List<ServiceProcess> services, String name, DoublePredicate condition, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        double value;
        while (!condition.test(value = sum(services, name)) && System.nanoTime() < deadline) {
            try {
                Thread.sleep(50);   // polling interval
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        return value;
    }
}
