package dev.longctx.engine.cli;

import java.nio.file.Path;
import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.SerializationFeature;
import tools.jackson.databind.json.JsonMapper;

/** The benchmarks' reports as JSON: their records, field names in snake_case. */
final class BenchJson {
    private static final JsonMapper JSON = JsonMapper.builder()
            .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .enable(SerializationFeature.INDENT_OUTPUT).build();

    private BenchJson() {}

    /** Writes {@code report} to {@code file}; nothing when file is null. */
    static void write(Path file, Object report) {
        if (file != null) JSON.writeValue(file.toFile(), report);
    }

    static String toJson(Object report) {
        return JSON.writeValueAsString(report);
    }
}
