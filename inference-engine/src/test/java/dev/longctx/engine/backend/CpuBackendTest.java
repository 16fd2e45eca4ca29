package dev.longctx.engine.backend;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.longctx.engine.backend.cpu.CpuBackend;
import dev.longctx.engine.kv.HostKvCache;
import dev.longctx.engine.kv.KvCacheSpec;
import dev.longctx.engine.weights.DType;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

class CpuBackendTest extends BackendContractTest {
    private static final CpuBackend CPU = new CpuBackend(2);

    @Override
    protected Backend backend() { return CPU; }

    @AfterAll
    static void shutdown() { CPU.close(); }

    @Test
    void aBufferLargerThanAJavaArrayIsRefusedWithItsSize() {
        // 131,072 tokens × 2 × 18,944 (a 7B model's gate/up): 4,966,055,936 floats, refused before any allocation.
        assertThatThrownBy(() -> CPU.allocate(131_072, 2 * 18_944)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("4966055936").hasMessageContaining("--prefill-chunk");
    }

    @Test
    void blockBytesAreLayerThenKThenVThenSlotHeadDim() {
        KvCacheSpec spec = new KvCacheSpec(2, 3, 4, 2, 3, DType.F32);
        HostKvCache cache = new HostKvCache(spec);
        int kvDim = 6;
        for (int l = 0; l < 2; l++) {
            for (int s = 0; s < 4; s++) {
                for (int h = 0; h < 2; h++) {
                    for (int i = 0; i < 3; i++) {
                        cache.keyBlock(l, 1)[s * kvDim + h * 3 + i] = 1000 * l + 100 * s + 10 * h + i;
                        cache.valueBlock(l, 1)[s * kvDim + h * 3 + i] = -(1000 * l + 100 * s + 10 * h + i);
                    }
                }
            }
        }
        ByteBuffer bytes = ByteBuffer.wrap(cache.readBlock(1)).order(ByteOrder.LITTLE_ENDIAN);
        for (int l = 0; l < 2; l++) {
            for (int kv = 0; kv < 2; kv++) {
                for (int s = 0; s < 4; s++) {
                    for (int h = 0; h < 2; h++) {
                        for (int i = 0; i < 3; i++) {
                            float want = (kv == 0 ? 1 : -1) * (1000 * l + 100 * s + 10 * h + i);
                            assertThat(bytes.getFloat()).isEqualTo(want);
                        }
                    }
                }
            }
        }
        assertThat(bytes.remaining()).isZero();
    }
}
