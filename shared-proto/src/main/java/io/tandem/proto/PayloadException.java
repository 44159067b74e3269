package io.tandem.proto;

/** A payload that Tandem refuses, with the reason an operator can count and act on. */
public final class PayloadException extends RuntimeException {

    /** Closed set of reasons a payload is refused; used as a metric label. */
    public enum Reason {
        /** Larger than the codec's size limit. */
        OVERSIZED,
        /** Not parseable as the expected protobuf message. */
        MALFORMED,
        /** A schema version this build does not understand. */
        UNSUPPORTED_SCHEMA,
        /** Parsed, but a field breaks the contract (missing id, tensor size mismatch, NaN...). */
        INVALID
    }

    private final Reason reason;

    /** Creates an exception for one refused payload. */
    public PayloadException(Reason reason, String message) {
        super(reason + ": " + message);
        this.reason = reason;
    }

    /** Creates an exception for one refused payload, keeping the parser's cause. */
    public PayloadException(Reason reason, String message, Throwable cause) {
        super(reason + ": " + message, cause);
        this.reason = reason;
    }

    /** Why the payload was refused. */
    public Reason reason() {
        return reason;
    }
}
