package dev.longctx.engine.backend.cuda;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Runs everywhere, GPU or not: the unavailable paths must say why in one line, and the build must not need nvcc. */
class CudaAvailabilityTest {

    @Test
    void probeSaysInOneLineWhetherCudaWorks() {
        CudaAvailability a = CudaAvailability.probe();
        assertThat(a.reason()).isNotBlank().doesNotContain("\n");
        if (!a.available()) {
            assertThatThrownBy(() -> CudaContext.open(0)).isInstanceOf(CudaUnavailableException.class).hasMessage(a.reason());
        }
    }

    @Test
    void missingCublasNamesBothSonamesAndWhereItLooked(@TempDir Path empty) {
        assertThat(Cublas.locate(List.of(empty))).isEmpty();
        assertThat(Cublas.notFoundMessage()).contains("libcublas.so.13").contains("libcublas.so.12").contains("LD_LIBRARY_PATH");
    }

    @Test
    void locatePrefersCuda13AndFindsTheWheelLayout(@TempDir Path dir) throws Exception {
        Path a = Files.createDirectories(dir.resolve("a"));
        Path b = Files.createDirectories(dir.resolve("b"));
        Files.createFile(a.resolve("libcublas.so.12"));
        Files.createFile(b.resolve("libcublas.so.13"));
        assertThat(Cublas.locate(List.of(a, b))).contains(b.resolve("libcublas.so.13"));
    }

    @Test
    void buildWithoutNvccSucceedsAndMarksTheJar(@TempDir Path out) throws Exception {
        Path script = Path.of("src/main/cuda/build.sh").toAbsolutePath();
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.exists(script),
                "build.sh is not beside this run (tests run from a bundle, not the source tree)");
        // A PATH with only the tools the script uses, so no nvcc can be found whatever this machine has installed.
        Path bin = Files.createDirectories(out.resolve("bin"));
        for (String tool : List.of("mkdir", "rm", "dirname", "basename", "find")) {
            Path real = Files.exists(Path.of("/usr/bin", tool)) ? Path.of("/usr/bin", tool) : Path.of("/bin", tool);
            Files.createSymbolicLink(bin.resolve(tool), real);
        }
        ProcessBuilder pb = new ProcessBuilder(Files.exists(Path.of("/bin/bash")) ? "/bin/bash" : "/usr/bin/bash", script.toString(), out.toString()).redirectErrorStream(true);
        pb.environment().put("PATH", bin.toString());
        pb.environment().remove("NVCC");
        Process p = pb.start();
        String log = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor()).as(log).isZero();
        assertThat(log).contains("nvcc not found");
        assertThat(out.resolve("cuda/BUILT_WITHOUT_NVCC")).exists();
        try (var files = Files.list(out.resolve("cuda"))) {
            assertThat(files.map(f -> f.getFileName().toString())).noneMatch(n -> n.endsWith(".fatbin"));
        }
    }
}
