package dev.longctx.engine.backend;

/**
 * A weight handed to a {@link Backend} once at load ({@link Backend#upload}) and used by its ops from then on: a
 * matrix {@code [rows, cols]} (a linear layer's {@code [out, in]}, an embedding table) or a vector (a norm's weight,
 * a bias: one row). The backend keeps it in whatever form suits it (the CPU reads the memory-mapped checkpoint
 * directly; a GPU copies it to device memory).
 */
public interface Weight {

    String name();

    long rows();

    long cols();
}
