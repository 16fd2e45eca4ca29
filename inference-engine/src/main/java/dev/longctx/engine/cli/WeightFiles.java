package dev.longctx.engine.cli;

import dev.longctx.engine.weights.SafetensorsFile;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

/**
 * What a model directory's safetensors files hold, read from their headers only (no weights touched): tensor
 * count, parameters and bytes per dtype. Each file is opened through {@link SafetensorsFile}, whose validation
 * names the file and the tensor for anything malformed (a missing data_offsets, a header length past the file, a
 * FIFO or directory where a file should be).
 */
record WeightFiles(int files, int tensors, Map<String, Long> parametersByDtype, Map<String, Long> bytesByDtype) {

    long totalBytes() {
        return bytesByDtype.values().stream().mapToLong(Long::longValue).sum();
    }

    long totalParameters() {
        return parametersByDtype.values().stream().mapToLong(Long::longValue).sum();
    }

    static WeightFiles scan(Path modelDir) throws IOException {
        Map<String, Long> params = new TreeMap<>();
        Map<String, Long> bytes = new TreeMap<>();
        int files = 0;
        int tensors = 0;
        try (DirectoryStream<Path> dir = Files.newDirectoryStream(modelDir, "*.safetensors")) {
            for (Path f : dir) {
                files++;
                // The mapping is never read beyond the header: validation needs only sizes and offsets.
                try (Arena arena = Arena.ofConfined()) {
                    SafetensorsFile file = SafetensorsFile.open(f, arena);
                    for (String name : file.names()) {
                        SafetensorsFile.Entry e = file.entry(name);
                        long n = 1;
                        for (long d : e.shape()) n *= d;
                        params.merge(e.dtype(), n, Long::sum);
                        bytes.merge(e.dtype(), e.byteSize(), Long::sum);
                        tensors++;
                    }
                }
            }
        }
        if (files == 0) throw new CliException("no *.safetensors files in " + modelDir);
        return new WeightFiles(files, tensors, params, bytes);
    }
}
