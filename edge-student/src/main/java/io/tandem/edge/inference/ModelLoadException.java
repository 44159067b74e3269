package io.tandem.edge.inference;

/** A model file the device refuses to run: ONNX Runtime cannot load it, or it disagrees with its manifest. */
public final class ModelLoadException extends RuntimeException {

    /** Creates the exception with what was wrong. */
    public ModelLoadException(String message) {
        super(message);
    }

    /** Creates the exception with what was wrong and the runtime's error. */
    public ModelLoadException(String message, Throwable cause) {
        super(message, cause);
    }
}
