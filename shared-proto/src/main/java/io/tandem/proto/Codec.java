package io.tandem.proto;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.Parser;
import java.util.function.Consumer;

/**
 * Encodes and decodes one protobuf message type with a size limit and contract validation.
 *
 * <p>Decoding never throws anything but {@link PayloadException}; encoding refuses a message the
 * other side would refuse, so a bad message fails where it is made.
 *
 * @param <T> the message type
 */
public final class Codec<T extends Message> {

    private final String name;
    private final int maxBytes;
    private final Parser<T> parser;
    private final Consumer<T> validator;

    Codec(String name, int maxBytes, Parser<T> parser, Consumer<T> validator) {
        this.name = name;
        this.maxBytes = maxBytes;
        this.parser = parser;
        this.validator = validator;
    }

    /** The message type this codec handles, as used in error messages and metrics. */
    public String name() {
        return name;
    }

    /** The largest encoded payload accepted, in bytes. */
    public int maxBytes() {
        return maxBytes;
    }

    /** Parses and validates a payload. */
    public T decode(byte[] payload) {
        if (payload == null || payload.length == 0) {
            throw new PayloadException(PayloadException.Reason.MALFORMED, name + " payload is empty");
        }
        if (payload.length > maxBytes) {
            throw new PayloadException(PayloadException.Reason.OVERSIZED,
                    name + " payload is " + payload.length + " bytes, limit is " + maxBytes);
        }
        T message;
        try {
            message = parser.parseFrom(payload);
        } catch (InvalidProtocolBufferException e) {
            throw new PayloadException(PayloadException.Reason.MALFORMED,
                    name + " payload is not valid protobuf: " + e.getMessage(), e);
        }
        validate(message);
        return message;
    }

    /** Validates and serialises a message. */
    public byte[] encode(T message) {
        validate(message);
        byte[] bytes = message.toByteArray();
        if (bytes.length > maxBytes) {
            throw new PayloadException(PayloadException.Reason.OVERSIZED,
                    name + " message is " + bytes.length + " bytes, limit is " + maxBytes);
        }
        return bytes;
    }

    /** Checks a message against the contract without serialising it. */
    public void validate(T message) {
        validator.accept(message);
    }
}
