package dev.longctx.gateway.errors;

import java.util.Collection;
import java.util.Map;
import tools.jackson.core.JacksonException;
import tools.jackson.core.exc.InputCoercionException;
import tools.jackson.databind.exc.MismatchedInputException;

/**
 * Turns a Jackson failure on a request body into the client's error. A syntax error blames no field (param
 * and code null); a value of the wrong type blames its top-level field ({@code invalid_value}). Messages are
 * written here, never Jackson's own, which name Java types ({@code java.lang.Double}).
 */
public final class JsonErrors {
    private JsonErrors() {}

    public static ApiException describe(JacksonException e) {
        String param = e.getPath().isEmpty() ? null : e.getPath().getFirst().getPropertyName();
        if (param == null) {
            // Not JSON at all, truncated, or a JSON value that is not an object.
            var at = e.getLocation();
            String where = at == null || at.getLineNr() < 0 ? "" : " (line " + at.getLineNr() + ", column " + at.getColumnNr() + ")";
            return ApiException.malformed(e instanceof MismatchedInputException
                    ? "The request body must be a JSON object."
                    : "The request body is not valid JSON" + where + ".");
        }
        if (e instanceof InputCoercionException) {
            return ApiException.invalidValue("Invalid value for `" + param + "`: the number is out of range.", param);
        }
        if (e instanceof MismatchedInputException mismatch && mismatch.getTargetType() != null) {
            return ApiException.invalidValue("Invalid value for `" + param + "`: expected "
                    + describe(mismatch.getTargetType()) + ".", param);
        }
        return ApiException.invalidValue("Invalid value for `" + param + "`.", param);
    }

    private static String describe(Class<?> type) {
        if (type == Double.class || type == double.class || type == Float.class || type == float.class) {
            return "a number";
        }
        if (type == Integer.class || type == int.class || type == Long.class || type == long.class) {
            return "an integer";
        }
        if (type == Boolean.class || type == boolean.class) {
            return "a boolean";
        }
        if (type == String.class) {
            return "a string";
        }
        if (Collection.class.isAssignableFrom(type) || type.isArray()) {
            return "a list";
        }
        if (Map.class.isAssignableFrom(type)) {
            return "an object";
        }
        return "an object";
    }
}
