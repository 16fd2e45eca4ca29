package dev.longctx.engine.cli;

/** A problem the user can fix (bad flag value, missing file); printed as one line, exit code 2. */
public class CliException extends RuntimeException {

    public CliException(String message) {
        super(message);
    }

    public CliException(String message, Throwable cause) {
        super(message, cause);
    }
}
