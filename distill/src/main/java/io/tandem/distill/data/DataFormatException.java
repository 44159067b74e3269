package io.tandem.distill.data;

/** A data file that is missing, empty, truncated or not in the format it claims to be. */
public final class DataFormatException extends RuntimeException {

    /** Creates an exception naming the file and the problem. */
    public DataFormatException(String message) {
        super(message);
    }

    /** Creates an exception naming the file and the problem, with the I/O cause. */
    public DataFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
