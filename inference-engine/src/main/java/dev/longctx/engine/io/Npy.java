package dev.longctx.engine.io;

import java.io.BufferedOutputStream;
import java.io.Closeable;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * NumPy {@code .npy} files: float32 2-D writing (logits dumps that Python compares against transformers) and
 * float32/float64 reading (reference fixtures produced by Python).
 *
 * <p>Format: magic {@code \x93NUMPY}, version byte pair, a little-endian header length, then a Python dict literal
 * padded with spaces and a final newline so that the data starts at a multiple of 64 bytes, then C-order data.
 */
public final class Npy {

    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    /** numpy aligns the data start to 64 bytes so that it can be memory-mapped with any dtype. */
    static final int HEADER_ALIGNMENT = 64;

    private Npy() {}

    /** An array read back: its shape and its elements in C order, widened to double. */
    public record Array(int[] shape, double[] data, String dtype) {

        public int rows() { return shape.length == 0 ? 1 : shape[0]; }

        /** Columns of a 2-D array; 1 for a 1-D array. */
        public int cols() { return shape.length < 2 ? 1 : shape[1]; }

        public double get(int row, int col) {
            if (shape.length != 2) throw new IllegalStateException("get(row, col) needs a 2-D array, shape is " + Arrays.toString(shape));
            return data[row * shape[1] + col];
        }

        public float[][] toFloatMatrix() {
            if (shape.length != 2) throw new IllegalStateException("toFloatMatrix needs a 2-D array, shape is " + Arrays.toString(shape));
            float[][] m = new float[shape[0]][shape[1]];
            for (int r = 0; r < shape[0]; r++) {
                for (int c = 0; c < shape[1]; c++) m[r][c] = (float) data[r * shape[1] + c];
            }
            return m;
        }
    }

    /** Writes {@code rows} (all the same length) as a float32 array of shape [rows.length, rows[0].length]. */
    public static void writeFloat32(Path file, float[][] rows) throws IOException {
        int cols = rows.length == 0 ? 0 : rows[0].length;
        try (Float32Writer w = openFloat32(file, rows.length, cols)) {
            for (float[] row : rows) w.writeRow(row);
        }
    }

    /**
     * Opens a float32 [rows, cols] file to be filled row by row, so that a long score run need not hold every row
     * in memory. Closing before all rows are written is an error (the file would lie about its shape).
     */
    public static Float32Writer openFloat32(Path file, int rows, int cols) throws IOException {
        return new Float32Writer(file, rows, cols);
    }

    /** The complete header (magic through padding newline) of a version 1.0 file. */
    static byte[] header(String descr, int... shape) {
        StringBuilder dims = new StringBuilder();
        for (int i = 0; i < shape.length; i++) {
            if (i > 0) dims.append(", ");
            dims.append(shape[i]);
        }
        if (shape.length == 1) dims.append(','); // Python spells a 1-tuple "(n,)"
        String dict = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': (" + dims + "), }";
        int prefix = MAGIC.length + 2 + 2;
        int unpadded = prefix + dict.length() + 1; // + the final '\n'
        int total = (unpadded + HEADER_ALIGNMENT - 1) / HEADER_ALIGNMENT * HEADER_ALIGNMENT;
        int headerLen = total - prefix;
        if (headerLen > 0xFFFF) throw new IllegalArgumentException("shape too large for a version 1.0 header");
        ByteBuffer b = ByteBuffer.allocate(total).order(ByteOrder.LITTLE_ENDIAN);
        b.put(MAGIC).put((byte) 1).put((byte) 0).putShort((short) headerLen);
        b.put(dict.getBytes(StandardCharsets.US_ASCII));
        while (b.position() < total - 1) b.put((byte) ' ');
        b.put((byte) '\n');
        return b.array();
    }

    /** Streams float32 rows into a .npy file whose header was written up front. */
    public static final class Float32Writer implements Closeable {
        private final Path file;
        private final OutputStream out;
        private final int rows;
        private final int cols;
        private final ByteBuffer rowBytes;
        private int written;

        private Float32Writer(Path file, int rows, int cols) throws IOException {
            if (rows < 0 || cols < 0) throw new IllegalArgumentException("negative shape [" + rows + ", " + cols + "]");
            this.file = file;
            this.rows = rows;
            this.cols = cols;
            this.rowBytes = ByteBuffer.allocate(Math.multiplyExact(cols, Float.BYTES)).order(ByteOrder.LITTLE_ENDIAN);
            this.out = new BufferedOutputStream(Files.newOutputStream(file), 1 << 16);
            out.write(header("<f4", rows, cols));
        }

        public void writeRow(float[] row) throws IOException {
            if (row.length != cols) throw new IllegalArgumentException("row has " + row.length + " values, the array has " + cols + " columns");
            if (written == rows) throw new IllegalStateException("all " + rows + " rows already written to " + file);
            rowBytes.clear();
            rowBytes.asFloatBuffer().put(row);
            out.write(rowBytes.array());
            written++;
        }

        @Override
        public void close() throws IOException {
            out.close();
            if (written != rows) {
                throw new IOException(file + ": wrote " + written + " of " + rows + " rows; the file is incomplete");
            }
        }
    }

    private static final Pattern DESCR = Pattern.compile("'descr'\\s*:\\s*'([^']*)'");
    private static final Pattern FORTRAN = Pattern.compile("'fortran_order'\\s*:\\s*(True|False)");
    private static final Pattern SHAPE = Pattern.compile("'shape'\\s*:\\s*\\(([^)]*)\\)");

    /** Reads a C-order float32 or float64 array (either byte order), any rank. */
    public static Array read(Path file) throws IOException {
        try (InputStream raw = Files.newInputStream(file);
             DataInputStream in = new DataInputStream(new java.io.BufferedInputStream(raw, 1 << 16))) {
            byte[] magic = new byte[MAGIC.length];
            in.readFully(magic);
            if (!Arrays.equals(magic, MAGIC)) throw new IOException(file + ": not a .npy file (bad magic)");
            int major = in.readUnsignedByte();
            in.readUnsignedByte();
            ByteBuffer lenBytes = ByteBuffer.wrap(in.readNBytes(major == 1 ? 2 : 4)).order(ByteOrder.LITTLE_ENDIAN);
            long headerLen = major == 1 ? Short.toUnsignedInt(lenBytes.getShort()) : Integer.toUnsignedLong(lenBytes.getInt());
            if (major < 1 || major > 3) throw new IOException(file + ": unsupported .npy version " + major);
            String dict = new String(in.readNBytes((int) headerLen), major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);

            String descr = group(DESCR, dict, file, "descr");
            if ("True".equals(group(FORTRAN, dict, file, "fortran_order"))) {
                throw new IOException(file + ": Fortran-order arrays are not supported; save with np.ascontiguousarray");
            }
            int[] shape = Arrays.stream(group(SHAPE, dict, file, "shape").split(","))
                    .map(String::strip).filter(s -> !s.isEmpty()).mapToInt(Integer::parseInt).toArray();

            ByteOrder order = switch (descr.charAt(0)) {
                case '<', '|' -> ByteOrder.LITTLE_ENDIAN;
                case '>' -> ByteOrder.BIG_ENDIAN;
                default -> ByteOrder.nativeOrder(); // '=' native
            };
            int width = switch (descr.substring(1)) {
                case "f4" -> 4;
                case "f8" -> 8;
                default -> throw new IOException(file + ": dtype " + descr + " is not supported (float32 or float64 only)");
            };
            long count = 1;
            for (int d : shape) count = Math.multiplyExact(count, d);
            if (count > Integer.MAX_VALUE - 8) throw new IOException(file + ": " + count + " elements is too many to read into memory");
            double[] data = new double[(int) count];
            byte[] chunk = new byte[width * 8192];
            int done = 0;
            while (done < count) {
                int n = (int) Math.min(8192, count - done);
                in.readFully(chunk, 0, n * width);
                ByteBuffer bb = ByteBuffer.wrap(chunk, 0, n * width).order(order);
                for (int i = 0; i < n; i++) data[done + i] = width == 4 ? bb.getFloat() : bb.getDouble();
                done += n;
            }
            return new Array(shape, data, descr);
        } catch (java.io.EOFException e) {
            throw new IOException(file + ": truncated .npy file (fewer data bytes than its shape says)", e);
        }
    }

    private static String group(Pattern p, String dict, Path file, String key) throws IOException {
        Matcher m = p.matcher(dict);
        if (!m.find()) throw new IOException(file + ": .npy header has no '" + key + "': " + dict.strip());
        return m.group(1);
    }
}
