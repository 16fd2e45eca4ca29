package dev.longctx.engine.tokenizer;

import java.lang.reflect.Array;
import java.math.BigDecimal;
import java.util.Map;

/**
 * JSON as Python's {@code json.dumps(x, ensure_ascii=False)} writes it, which is what transformers' {@code tojson}
 * filter produces: ", " and ": " separators (or newlines with {@code indent}), non-ASCII kept, keys in insertion
 * order. Chat templates put tool schemas and call arguments through it, and the prompt must match transformers'
 * token for token.
 */
final class PythonJson {

    private PythonJson() {}

    static String dumps(Object value, Integer indent) {
        StringBuilder sb = new StringBuilder();
        write(sb, value, indent, 0);
        return sb.toString();
    }

    private static void write(StringBuilder sb, Object v, Integer indent, int depth) {
        switch (v) {
            case null -> sb.append("null");
            case Boolean b -> sb.append(b ? "true" : "false");
            case Integer i -> sb.append(i);
            case Long l -> sb.append(l);
            case Short s -> sb.append(s);
            case Byte b -> sb.append(b);
            case java.math.BigInteger bi -> sb.append(bi);
            case Double d -> sb.append(pythonFloat(d));
            case Float f -> sb.append(pythonFloat(f.doubleValue()));
            case BigDecimal bd -> sb.append(pythonFloat(bd.doubleValue()));
            case Number n -> sb.append(n);
            case CharSequence s -> string(sb, s.toString());
            case Map<?, ?> m -> {
                if (m.isEmpty()) {
                    sb.append("{}");
                    return;
                }
                sb.append('{');
                boolean first = true;
                for (Map.Entry<?, ?> e : m.entrySet()) {
                    if (!first) sb.append(indent == null ? ", " : ",");
                    first = false;
                    newline(sb, indent, depth + 1);
                    string(sb, String.valueOf(e.getKey()));
                    sb.append(": ");
                    write(sb, e.getValue(), indent, depth + 1);
                }
                newline(sb, indent, depth);
                sb.append('}');
            }
            case Iterable<?> it -> {
                if (!it.iterator().hasNext()) {
                    sb.append("[]");
                    return;
                }
                sb.append('[');
                boolean first = true;
                for (Object o : it) {
                    if (!first) sb.append(indent == null ? ", " : ",");
                    first = false;
                    newline(sb, indent, depth + 1);
                    write(sb, o, indent, depth + 1);
                }
                newline(sb, indent, depth);
                sb.append(']');
            }
            default -> {
                if (v.getClass().isArray()) {
                    java.util.List<Object> list = new java.util.ArrayList<>();
                    for (int i = 0; i < Array.getLength(v); i++) list.add(Array.get(v, i));
                    write(sb, list, indent, depth);
                } else {
                    string(sb, v.toString());
                }
            }
        }
    }

    private static void newline(StringBuilder sb, Integer indent, int depth) {
        if (indent == null) return;
        sb.append('\n');
        sb.append(" ".repeat(indent * depth));
    }

    /** Python's float repr: shortest round-trip digits, always with a '.' or exponent, NaN/Infinity spelled its way. */
    static String pythonFloat(double d) {
        if (Double.isNaN(d)) return "NaN";
        if (Double.isInfinite(d)) return d > 0 ? "Infinity" : "-Infinity";
        if (d == Math.rint(d) && Math.abs(d) < 1e16) return String.valueOf((long) d) + ".0";
        String s = Double.toString(d); // shortest round-trip digits, like Python's repr
        int e = s.indexOf('E');
        if (e < 0) return s;
        int exp = Integer.parseInt(s.substring(e + 1));
        // Java switches to exponents below 1e-3 and from 1e7; Python's repr only below 1e-4 and from 1e16.
        if (exp >= -4 && exp < 16) return new BigDecimal(s).stripTrailingZeros().toPlainString();
        // Java "1.0E-5" -> Python "1e-05"
        String mantissa = s.substring(0, e);
        if (mantissa.endsWith(".0")) mantissa = mantissa.substring(0, mantissa.length() - 2);
        return mantissa + "e" + (exp < 0 ? "-" : "+") + String.format("%02d", Math.abs(exp));
    }

    private static void string(StringBuilder sb, String s) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                case '\b' -> sb.append("\\b");
                case '\f' -> sb.append("\\f");
                default -> {
                    if (c < 0x20) sb.append(String.format("\\u%04x", (int) c));
                    else sb.append(c);
                }
            }
        }
        sb.append('"');
    }
}
