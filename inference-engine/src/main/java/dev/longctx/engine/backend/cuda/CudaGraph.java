package dev.longctx.engine.backend.cuda;

import jcuda.driver.CUgraph;
import jcuda.driver.CUgraphExec;
import jcuda.driver.CUstreamCaptureMode;
import jcuda.driver.JCudaDriver;

/**
 * A CUDA graph: the kernels (and cuBLAS GEMMs) one block of host code queued on the context's stream, recorded
 * once by {@link #capture} and replayed by {@link #launch} as one launch, with the very same parameters and device
 * addresses. What a replay computes changes only through the contents of the buffers those addresses name.
 */
final class CudaGraph implements AutoCloseable {
    private final CudaContext ctx;
    private final CUgraph graph;
    private final CUgraphExec exec;
    private boolean closed;

    private CudaGraph(CudaContext ctx, CUgraph graph, CUgraphExec exec) {
        this.ctx = ctx;
        this.graph = graph;
        this.exec = exec;
    }

    /**
     * Records what {@code body} queues on the stream; nothing runs. The capture is thread-local: body may queue
     * only asynchronous work (kernels, cuBLAS, device-to-device copies); anything that waits for the device
     * (a synchronize, a copy to the host, an allocation) fails the capture, and this throws.
     */
    static CudaGraph capture(CudaContext ctx, Runnable body) {
        JCudaDriver.cuStreamBeginCapture(ctx.stream(), CUstreamCaptureMode.CU_STREAM_CAPTURE_MODE_THREAD_LOCAL);
        CUgraph graph = new CUgraph();
        RuntimeException ended = null;
        try {
            body.run();
        } finally {
            // Ends the capture whatever happened: the stream must not stay in capture mode.
            try {
                JCudaDriver.cuStreamEndCapture(ctx.stream(), graph);
            } catch (RuntimeException e) {
                ended = e;   // if body threw, its exception (propagating now) says more
            }
        }
        if (ended != null) throw new IllegalStateException("the CUDA graph capture was invalidated: " + ended.getMessage(), ended);
        CUgraphExec exec = new CUgraphExec();
        try {
            JCudaDriver.cuGraphInstantiate(exec, graph, 0);
        } catch (RuntimeException e) {
            JCudaDriver.cuGraphDestroy(graph);
            throw e;
        }
        return new CudaGraph(ctx, graph, exec);
    }

    /** Queues the recorded work on the stream. */
    void launch() {
        if (closed) throw new IllegalStateException("the CUDA graph is closed");
        JCudaDriver.cuGraphLaunch(exec, ctx.stream());
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        JCudaDriver.cuGraphExecDestroy(exec);
        JCudaDriver.cuGraphDestroy(graph);
    }
}
