package dev.longctx.engine.backend.cuda;

import jcuda.NativePointerObject;
import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.JCudaDriver;

import java.lang.foreign.MemorySegment;
import java.lang.reflect.Method;

/**
 * A block of device memory that knows its size and raw address. The owner frees it on {@link #close}; a
 * {@link #view} shares the memory and frees nothing. Copies run on the context's stream, ordered with the kernels
 * launched there; copies to the host wait for the stream.
 *
 * <p>Not thread-safe: the thread that owns the context (it must be current there) drives it.
 */
public final class CudaMemory implements AutoCloseable {
    private static final Method NATIVE_POINTER = nativePointerAccessor();

    private final CudaContext ctx;
    private final CUdeviceptr ptr;
    private final long address;
    private final long bytes;
    private final boolean owner;
    private boolean closed;

    private CudaMemory(CudaContext ctx, CUdeviceptr ptr, long address, long bytes, boolean owner) {
        this.ctx = ctx;
        this.ptr = ptr;
        this.address = address;
        this.bytes = bytes;
        this.owner = owner;
    }

    static CudaMemory allocate(CudaContext ctx, long bytes) {
        if (bytes <= 0) throw new IllegalArgumentException("device buffer size must be positive, got " + bytes);
        CUdeviceptr p = new CUdeviceptr();
        JCudaDriver.cuMemAlloc(p, bytes);
        return new CudaMemory(ctx, p, rawAddress(p), bytes, true);
    }

    /** Size in bytes. */
    public long bytes() { return bytes; }

    /** The device address, as a kernel parameter or for cuBLAS. */
    public long address() {
        if (closed) throw new IllegalStateException("device buffer is closed");
        return address;
    }

    CUdeviceptr pointer() { return ptr; }

    /** A window of this buffer, sharing its memory; closing the view frees nothing. */
    public CudaMemory view(long offset, long length) {
        if (offset < 0 || length <= 0 || offset + length > bytes) {
            throw new IllegalArgumentException("view [" + offset + ", +" + length + ") outside a buffer of " + bytes + " bytes");
        }
        return new CudaMemory(ctx, ptr.withByteOffset(offset), address + offset, length, false);
    }

    public void copyFrom(float[] src) { copyIn(Pointer.to(src), 4L * src.length); }
    public void copyFrom(int[] src) { copyIn(Pointer.to(src), 4L * src.length); }
    public void copyFrom(long[] src) { copyIn(Pointer.to(src), 8L * src.length); }
    public void copyFrom(double[] src) { copyIn(Pointer.to(src), 8L * src.length); }
    /** bf16 (or any 16-bit) elements as raw bits. */
    public void copyFrom(short[] src) { copyIn(Pointer.to(src), 2L * src.length); }
    public void copyFrom(byte[] src) { copyIn(Pointer.to(src), src.length); }

    /**
     * Copies a host segment (e.g. a memory-mapped checkpoint tensor) to {@code [dstOffset, +src.byteSize())}, in
     * pieces of at most 1 GiB (a direct ByteBuffer view is int-indexed).
     */
    public void copyFrom(MemorySegment src, long dstOffset) {
        long n = src.byteSize();
        check(dstOffset + n);
        final long piece = 1L << 30;
        for (long off = 0; off < n; off += piece) {
            long len = Math.min(piece, n - off);
            java.nio.ByteBuffer bb = src.asSlice(off, len).asByteBuffer();
            Pointer from = bb.isDirect() ? Pointer.to(bb) : Pointer.to(src.asSlice(off, len).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE));
            JCudaDriver.cuMemcpyHtoDAsync(ptr.withByteOffset(dstOffset + off), from, len, ctx.stream());
        }
        ctx.synchronize();  // the host segment may be unmapped by the caller right after
    }

    public void copyTo(float[] dst) { copyOut(Pointer.to(dst), 4L * dst.length); }
    /** The first {@code count} floats only (dst may be longer). */
    public void copyTo(float[] dst, int count) { copyOut(Pointer.to(dst), 4L * checkCount(count, dst.length)); }
    public void copyTo(short[] dst, int count) { copyOut(Pointer.to(dst), 2L * checkCount(count, dst.length)); }
    public void copyTo(byte[] dst) { copyOut(Pointer.to(dst), dst.length); }
    public void copyTo(int[] dst) { copyOut(Pointer.to(dst), 4L * dst.length); }
    public void copyTo(long[] dst) { copyOut(Pointer.to(dst), 8L * dst.length); }
    public void copyTo(short[] dst) { copyOut(Pointer.to(dst), 2L * dst.length); }

    /** Sets every byte to {@code value} (asynchronously, on the stream). */
    public void fill(int value) {
        JCudaDriver.cuMemsetD8Async(ptr, (byte) value, bytes, ctx.stream());
    }

    /** Copies all of {@code src} to the start of this buffer, device to device, on the stream (no wait). */
    public void copyFrom(CudaMemory src) {
        check(src.bytes);
        if (src.closed) throw new IllegalStateException("device buffer is closed");
        JCudaDriver.cuMemcpyDtoDAsync(ptr, src.ptr, src.bytes, ctx.stream());
    }

    /** Fills with 0xFF bytes: NaN as fp32 and bf16, −1 as int32, so an element a kernel fails to write shows. */
    public void poison() { fill(0xFF); }

    private void copyIn(Pointer src, long n) {
        check(n);
        // From pageable memory the call returns once the source has been staged, so the array may change after it.
        JCudaDriver.cuMemcpyHtoDAsync(ptr, src, n, ctx.stream());
    }

    private void copyOut(Pointer dst, long n) {
        check(n);
        JCudaDriver.cuMemcpyDtoHAsync(dst, ptr, n, ctx.stream());
        ctx.synchronize();
    }

    private static int checkCount(int count, int length) {
        if (count < 0 || count > length) throw new IllegalArgumentException("copy of " + count + " elements into " + length);
        return count;
    }

    private void check(long n) {
        if (closed) throw new IllegalStateException("device buffer is closed");
        if (n > bytes) throw new IllegalArgumentException("copy of " + n + " bytes into a device buffer of " + bytes);
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        if (owner) JCudaDriver.cuMemFree(ptr);
    }

    @Override
    public String toString() {
        return "CudaMemory[" + bytes + " bytes @0x" + Long.toHexString(address) + (owner ? "" : ", view") + "]";
    }

    /** JCuda keeps a pointer's native address protected; it is read once per allocation through this. */
    static long rawAddress(NativePointerObject p) {
        try {
            return (long) NATIVE_POINTER.invoke(p);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot read a JCuda pointer's address", e);
        }
    }

    private static Method nativePointerAccessor() {
        try {
            Method m = NativePointerObject.class.getDeclaredMethod("getNativePointer");
            m.setAccessible(true);
            return m;
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }
}
