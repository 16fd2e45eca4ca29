package dev.longctx.engine.serving;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;

/**
 * The model identity of the prefix salt: the same checkpoint gives the same string on every host, wherever its
 * directory is mounted. Hashing multi-GB weights at startup would cost minutes, so it hashes what names them:
 * config.json and each safetensors file's name, size and header (tensor names, dtypes, shapes, offsets).
 */
public final class ModelFingerprint {
    private static final long MAX_HEADER = 100L << 20;

    private ModelFingerprint() {}

    public static String of(Path modelDir) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update(Files.readAllBytes(modelDir.resolve("config.json")));
            List<Path> weights;
            try (Stream<Path> files = Files.list(modelDir)) {
                weights = files.filter(f -> f.getFileName().toString().endsWith(".safetensors")).sorted().toList();
            }
            for (Path file : weights) {
                sha.update(file.getFileName().toString().getBytes(StandardCharsets.UTF_8));
                try (FileChannel ch = FileChannel.open(file)) {
                    sha.update(ByteBuffer.allocate(8).putLong(ch.size()).array());
                    ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
                    if (ch.read(len, 0) == 8) {
                        long n = len.flip().getLong();
                        if (n > 0 && n <= MAX_HEADER && n <= ch.size() - 8) {
                            ByteBuffer header = ByteBuffer.allocate((int) n);
                            ch.read(header, 8);
                            sha.update(header.flip());
                        }
                    }
                }
            }
            return "sha256:" + HexFormat.of().formatHex(sha.digest()).substring(0, 32);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot fingerprint the model in " + modelDir, e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
