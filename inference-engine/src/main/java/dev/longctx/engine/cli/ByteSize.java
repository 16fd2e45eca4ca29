package dev.longctx.engine.cli;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Memory sizes as people write them: "24GB" = 24·10⁹ bytes, "24GiB" = 24·2³⁰, "512M", "1.5T", "1000". */
final class ByteSize {

    private static final Pattern SIZE = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*([kmgt]?)(i?)(b?)");

    private ByteSize() {}

    static long parse(String text) {
        Matcher m = SIZE.matcher(text.strip().toLowerCase(Locale.ROOT));
        if (!m.matches()) throw new CliException("bad size '" + text + "': use e.g. 24GB, 24GiB or 512MB");
        double value = Double.parseDouble(m.group(1));
        int power = "kmgt".indexOf(m.group(2)) + 1; // 0 when no unit letter
        double base = m.group(3).isEmpty() ? 1000 : 1024;
        if (power == 0 && !m.group(3).isEmpty()) throw new CliException("bad size '" + text + "'");
        return (long) (value * Math.pow(base, power));
    }

    /** "15.2 GB (15,231,000,000 bytes)". */
    static String format(long bytes) {
        return String.format(Locale.ROOT, "%.2f GB (%,d bytes)", bytes / 1e9, bytes);
    }
}
