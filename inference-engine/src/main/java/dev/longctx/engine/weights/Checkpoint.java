package dev.longctx.engine.weights;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import tools.jackson.databind.JsonNode;

/**
 * The safetensors weights of one model directory, memory-mapped into one shared {@link Arena} (so any thread may
 * read them) that {@link #close()} releases. Three layouts, tried in this order (transformers' own order, so a
 * directory holding both a single file and an index loads the same weights here as there):
 * <ol>
 *   <li>a single {@code model.safetensors}</li>
 *   <li>{@code model.safetensors.index.json}: shards named by its {@code weight_map}</li>
 *   <li>every {@code *.safetensors} in the directory (checkpoints written by hand or by older tools)</li>
 * </ol>
 * Every file is fully validated at open, so a broken checkpoint fails before any weight is used.
 */
public final class Checkpoint implements WeightSource {

    public static final String SINGLE_FILE = "model.safetensors";
    public static final String INDEX_FILE = "model.safetensors.index.json";

    private final Path modelDir;
    private final Arena arena;
    private final List<SafetensorsFile> files;
    private final Map<String, SafetensorsFile> fileByTensor;

    private Checkpoint(Path modelDir, Arena arena, List<SafetensorsFile> files, Map<String, SafetensorsFile> fileByTensor) {
        this.modelDir = modelDir;
        this.arena = arena;
        this.files = List.copyOf(files);
        this.fileByTensor = Collections.unmodifiableMap(fileByTensor);
    }

    public static Checkpoint open(Path modelDir) {
        if (!Files.isDirectory(modelDir)) {
            throw new CheckpointException("model directory " + modelDir + " does not exist or is not a directory");
        }
        Arena arena = Arena.ofShared();
        try {
            Path index = modelDir.resolve(INDEX_FILE);
            Path single = modelDir.resolve(SINGLE_FILE);
            if (Files.isRegularFile(single)) return openFiles(modelDir, List.of(single), arena);
            if (Files.isRegularFile(index)) return openIndexed(modelDir, index, arena);
            return openFiles(modelDir, listSafetensors(modelDir), arena);
        } catch (RuntimeException e) {
            arena.close(); // unmap whatever was mapped before the failure
            throw e;
        }
    }

    private static Checkpoint openIndexed(Path modelDir, Path index, Arena arena) {
        String source = index.toString();
        JsonNode weightMap = CheckpointJson.optObject(CheckpointJson.readObject(index, "shard index"), "weight_map", source);
        if (weightMap == null) throw CheckpointJson.missing("weight_map", source);

        Map<String, SafetensorsFile> shards = new LinkedHashMap<>();
        Map<String, SafetensorsFile> fileByTensor = new TreeMap<>();
        for (Map.Entry<String, JsonNode> mapping : weightMap.properties()) {
            String tensor = mapping.getKey();
            if (!mapping.getValue().isString()) {
                throw CheckpointJson.wrongType("weight_map." + tensor, "a shard file name", mapping.getValue(), source);
            }
            String shardName = mapping.getValue().stringValue();
            SafetensorsFile shard = shards.get(shardName);
            if (shard == null) {
                shard = SafetensorsFile.open(resolveShard(modelDir, index, tensor, shardName), arena);
                shards.put(shardName, shard);
            }
            if (!shard.has(tensor)) {
                throw new CheckpointException(source + " maps tensor '" + tensor + "' to " + shard.path()
                        + ", which does not contain it");
            }
            fileByTensor.put(tensor, shard);
        }
        return new Checkpoint(modelDir, arena, new ArrayList<>(shards.values()), fileByTensor);
    }

    /** A shard name must stay inside the model directory: an index is data, not a licence to map any file. */
    private static Path resolveShard(Path modelDir, Path index, String tensor, String shardName) {
        Path dir = modelDir.toAbsolutePath().normalize();
        Path shard = dir.resolve(shardName).normalize();
        if (!shard.getParent().equals(dir)) {
            throw new CheckpointException(index + " maps tensor '" + tensor + "' to '" + shardName
                    + "', which is not a file name inside " + modelDir);
        }
        if (!Files.isRegularFile(shard)) {
            throw new CheckpointException("shard " + shard + " (listed in " + index + " for tensor '" + tensor + "') is missing");
        }
        return shard;
    }

    private static List<Path> listSafetensors(Path modelDir) {
        List<Path> found = new ArrayList<>();
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(modelDir, "*.safetensors")) {
            for (Path p : stream) if (Files.isRegularFile(p)) found.add(p);
        } catch (IOException e) {
            throw new CheckpointException("cannot list " + modelDir + ": " + e, e);
        }
        if (found.isEmpty()) {
            throw new CheckpointException("no weights in " + modelDir + ": expected " + INDEX_FILE + ", "
                    + SINGLE_FILE + " or other *.safetensors files");
        }
        found.sort(null); // deterministic order, so a duplicate is always reported the same way
        return found;
    }

    private static Checkpoint openFiles(Path modelDir, List<Path> paths, Arena arena) {
        List<SafetensorsFile> files = new ArrayList<>();
        Map<String, SafetensorsFile> fileByTensor = new TreeMap<>();
        for (Path path : paths) {
            SafetensorsFile file = SafetensorsFile.open(path, arena);
            files.add(file);
            for (String name : file.names()) {
                SafetensorsFile earlier = fileByTensor.putIfAbsent(name, file);
                if (earlier != null) {
                    // Without an index there is no way to tell which copy is meant.
                    throw new CheckpointException("tensor '" + name + "' appears in both " + earlier.path() + " and " + path);
                }
            }
        }
        return new Checkpoint(modelDir, arena, files, fileByTensor);
    }

    public Path modelDir() { return modelDir; }

    @Override
    public String description() { return "checkpoint " + modelDir; }

    /** The mapped files, in the order they were opened. */
    public List<SafetensorsFile> files() { return files; }

    /** Every tensor name, sorted. */
    @Override
    public Set<String> names() { return fileByTensor.keySet(); }

    @Override
    public boolean has(String name) { return fileByTensor.containsKey(name); }

    /** A zero-copy view of {@code name}; valid until {@link #close()}. */
    @Override
    public Tensor tensor(String name) {
        SafetensorsFile file = fileByTensor.get(name);
        if (file == null) throw new CheckpointException("tensor '" + name + "' not found in checkpoint " + modelDir);
        return file.tensor(name);
    }

    /** The validated header entry of {@code name}: dtype and shape without creating a view. */
    @Override
    public SafetensorsFile.Entry entry(String name) {
        SafetensorsFile file = fileByTensor.get(name);
        if (file == null) throw new CheckpointException("tensor '" + name + "' not found in checkpoint " + modelDir);
        return file.entry(name);
    }

    /** Unmaps every file. Tensors obtained earlier must not be used afterwards (access then fails, it does not crash). */
    @Override
    public void close() {
        if (arena.scope().isAlive()) arena.close(); // closing twice is harmless, as try-with-resources users expect
    }

    @Override
    public String toString() {
        return "Checkpoint[" + modelDir + ", " + files.size() + " files, " + fileByTensor.size() + " tensors]";
    }
}
