package dev.longctx.engine.backend.cuda;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * cuBLAS through the Foreign Function API: {@code libcublas.so.13} or {@code .so.12}, whichever is found first
 * (LONGCTX_CUBLAS_DIR, LD_LIBRARY_PATH, the CUDA toolkits under /usr/local, the NVIDIA Python wheels' lib folders).
 * One handle bound to the context's stream; GEMMs are {@code cublasGemmEx} with bf16 operands and fp32 compute.
 *
 * <p>Row-major products are computed as column-major ones on the transposed problem (see {@link #linear}).
 */
public final class Cublas implements AutoCloseable {
    static final List<String> NAMES = List.of("libcublas.so.13", "libcublas.so.12");
    static final int CUDA_R_32F = 0, CUDA_R_16BF = 14;
    private static final int CUBLAS_OP_N = 0, CUBLAS_OP_T = 1;
    private static final int CUBLAS_COMPUTE_32F = 68;
    private static final int CUBLAS_GEMM_DEFAULT = -1;

    private final Path library;
    private final MethodHandle gemmEx;
    private final MethodHandle destroy;
    private final MemorySegment handle;
    private final MemorySegment one;
    private final MemorySegment zero;
    private boolean closed;

    /**
     * Workspace bytes given to cuBLAS ({@code cublasSetWorkspace}), so it never allocates its own while a CUDA graph
     * is being captured (an allocation would end the capture); 32 MiB is what cuBLAS itself defaults to on Hopper.
     */
    static final long WORKSPACE_BYTES = 32L << 20;

    private Cublas(Path library, SymbolLookup lookup, long stream, long workspace) {
        this.library = library;
        Linker linker = Linker.nativeLinker();
        MethodHandle create = linker.downcallHandle(symbol(lookup, "cublasCreate_v2"), FunctionDescriptor.of(JAVA_INT, ADDRESS));
        MethodHandle setStream = linker.downcallHandle(symbol(lookup, "cublasSetStream_v2"),
                FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
        destroy = linker.downcallHandle(symbol(lookup, "cublasDestroy_v2"), FunctionDescriptor.of(JAVA_INT, ADDRESS));
        gemmEx = linker.downcallHandle(symbol(lookup, "cublasGemmEx"), FunctionDescriptor.of(JAVA_INT,
                ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, JAVA_INT, JAVA_INT,
                ADDRESS, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT));
        Arena arena = Arena.global();
        one = arena.allocateFrom(JAVA_FLOAT, 1f);
        zero = arena.allocateFrom(JAVA_FLOAT, 0f);
        try {
            MemorySegment slot = arena.allocate(ADDRESS);
            check((int) create.invokeExact(slot), "cublasCreate");
            handle = slot.get(ADDRESS, 0);
            check((int) setStream.invokeExact(handle, MemorySegment.ofAddress(stream)), "cublasSetStream");
            MethodHandle setWorkspace = linker.downcallHandle(symbol(lookup, "cublasSetWorkspace_v2"),
                    FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_LONG));
            check((int) setWorkspace.invokeExact(handle, MemorySegment.ofAddress(workspace), WORKSPACE_BYTES), "cublasSetWorkspace");
        } catch (Throwable t) {
            throw t instanceof RuntimeException r ? r : new IllegalStateException(t);
        }
    }

    /**
     * Opens cuBLAS on the given CUDA stream (raw handle) with a device workspace of {@link #WORKSPACE_BYTES} at
     * {@code workspace}; the context must be current on this thread.
     */
    static Cublas open(long stream, long workspace) {
        Path lib = locate(searchDirs()).orElseThrow(() -> new CudaUnavailableException(notFoundMessage()));
        // libcublas needs libcublasLt of the same folder; loading it first makes the dependency resolve by soname
        // even when the folder is on no search path.
        String lt = lib.getFileName().toString().replace("libcublas.", "libcublasLt.");
        Path ltPath = lib.resolveSibling(lt);
        if (Files.exists(ltPath)) SymbolLookup.libraryLookup(ltPath, Arena.global());
        return new Cublas(lib, SymbolLookup.libraryLookup(lib, Arena.global()), stream, workspace);
    }

    /** Where cuBLAS was loaded from. */
    public Path library() { return library; }

    /**
     * A linear layer without bias in row-major terms: {@code out[t, r] = Σ_c x[t, c] · w[r, c]}, x bf16 [n, in],
     * w bf16 [outDim, in], out [n, outDim] in bf16 or fp32 ({@code outFp32}); fp32 accumulation.
     * Column-major, that is C(outDim × n) = Wᵀ-stored(in × outDim)ᵀ · X-stored(in × n).
     */
    public void linear(CudaMemory x, CudaMemory w, CudaMemory out, int n, int in, int outDim, boolean outFp32) {
        long need = (long) n * outDim * (outFp32 ? 4 : 2);
        if (x.bytes() < 2L * n * in || w.bytes() < 2L * outDim * in || out.bytes() < need) {
            throw new IllegalArgumentException("linear n=" + n + " in=" + in + " out=" + outDim + ": buffers too small ("
                    + x.bytes() + ", " + w.bytes() + ", " + out.bytes() + " bytes)");
        }
        gemm(CUBLAS_OP_T, CUBLAS_OP_N, outDim, n, in, w.address(), CUDA_R_16BF, in, x.address(), CUDA_R_16BF, in,
                out.address(), outFp32 ? CUDA_R_32F : CUDA_R_16BF, outDim);
    }

    /**
     * {@link #linear} in fp32 throughout (the float32 dtype): x fp32 [n, in], w fp32 [outDim, in], out fp32
     * [n, outDim]. With fp32 operands and {@code CUBLAS_COMPUTE_32F} cuBLAS runs an SGEMM, not TF32 tensor cores.
     */
    public void linearF32(CudaMemory x, CudaMemory w, CudaMemory out, int n, int in, int outDim) {
        if (x.bytes() < 4L * n * in || w.bytes() < 4L * outDim * in || out.bytes() < 4L * n * outDim) {
            throw new IllegalArgumentException("linearF32 n=" + n + " in=" + in + " out=" + outDim + ": buffers too small ("
                    + x.bytes() + ", " + w.bytes() + ", " + out.bytes() + " bytes)");
        }
        gemm(CUBLAS_OP_T, CUBLAS_OP_N, outDim, n, in, w.address(), CUDA_R_32F, in, x.address(), CUDA_R_32F, in,
                out.address(), CUDA_R_32F, outDim);
    }

    /** Column-major {@code C = op(A)·op(B)} through cublasGemmEx with fp32 compute (α = 1, β = 0). */
    void gemm(int transA, int transB, int m, int n, int k, long a, int aType, int lda, long b, int bType, int ldb,
              long c, int cType, int ldc) {
        if (closed) throw new IllegalStateException("cuBLAS handle is closed");
        try {
            int status = (int) gemmEx.invokeExact(handle, transA, transB, m, n, k, one, MemorySegment.ofAddress(a), aType,
                    lda, MemorySegment.ofAddress(b), bType, ldb, zero, MemorySegment.ofAddress(c), cType, ldc,
                    CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT);
            check(status, "cublasGemmEx(m=" + m + ", n=" + n + ", k=" + k + ")");
        } catch (RuntimeException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        try {
            int ignored = (int) destroy.invokeExact(handle);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    private static MemorySegment symbol(SymbolLookup lookup, String name) {
        return lookup.find(name).orElseThrow(() -> new CudaUnavailableException("cuBLAS has no symbol " + name));
    }

    private static void check(int status, String what) {
        if (status != 0) throw new IllegalStateException(what + " failed with cuBLAS status " + status);
    }

    /** The first folder (in order) holding one of {@link #NAMES}, names in order within a folder. */
    static Optional<Path> locate(List<Path> dirs) {
        for (String name : NAMES) {
            for (Path d : dirs) {
                Path p = d.resolve(name);
                if (Files.isRegularFile(p) || Files.isSymbolicLink(p) && Files.exists(p)) return Optional.of(p);
            }
        }
        return Optional.empty();
    }

    static String notFoundMessage() {
        return "no cuBLAS: neither " + String.join(" nor ", NAMES) + " in LONGCTX_CUBLAS_DIR, LD_LIBRARY_PATH, "
                + "/usr/local/cuda*/lib64 or a Python nvidia-cublas wheel";
    }

    /** Folders that may hold libcublas, most specific first. */
    static List<Path> searchDirs() {
        Set<Path> dirs = new LinkedHashSet<>();
        String explicit = System.getenv("LONGCTX_CUBLAS_DIR");
        if (explicit != null && !explicit.isBlank()) dirs.add(Path.of(explicit));
        String ld = System.getenv("LD_LIBRARY_PATH");
        if (ld != null) for (String d : ld.split(":")) if (!d.isBlank()) dirs.add(Path.of(d));
        for (Path cuda : children(Path.of("/usr/local"), "cuda")) {
            dirs.add(cuda.resolve("lib64"));
            dirs.add(cuda.resolve("targets/x86_64-linux/lib"));
        }
        for (String root : List.of("/opt", "/usr/local/lib", "/usr/lib", System.getProperty("user.home") + "/.local/lib")) {
            dirs.addAll(wheelLibDirs(Path.of(root)));
        }
        dirs.add(Path.of("/usr/lib/x86_64-linux-gnu"));
        return new ArrayList<>(dirs);
    }

    private static List<Path> children(Path dir, String prefix) {
        List<Path> out = new ArrayList<>();
        try (var s = Files.list(dir)) {
            s.filter(p -> p.getFileName().toString().startsWith(prefix)).sorted().forEach(out::add);
        } catch (IOException | RuntimeException e) {
            // no such folder: nothing to add
        }
        return out;
    }

    /** nvidia/{cublas,cu13,cu12}/lib under every site-packages/dist-packages below root (virtualenvs included). */
    private static List<Path> wheelLibDirs(Path root) {
        List<Path> out = new ArrayList<>();
        if (!Files.isDirectory(root)) return out;
        try {
            Files.walkFileTree(root, Set.of(), 7, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
                    String name = dir.getFileName() == null ? "" : dir.getFileName().toString();
                    if (name.equals("site-packages") || name.equals("dist-packages")) {
                        for (String sub : List.of("cublas", "cu13", "cu12")) out.add(dir.resolve("nvidia").resolve(sub).resolve("lib"));
                        return FileVisitResult.SKIP_SUBTREE;
                    }
                    if (name.equals("node_modules") || name.startsWith(".git") || name.equals("proc")) return FileVisitResult.SKIP_SUBTREE;
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFileFailed(Path file, IOException exc) {
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            // unreadable root: nothing to add
        }
        return out;
    }
}
