package io.tandem.distill.quant;

/** The 8-bit type of quantised activations. */
public enum QuantType {
    /** Unsigned, 0..255 (ONNX Runtime's "U8S8" with int8 weights). */
    UINT8(0, 255, 2),
    /** Signed, -128..127 (ONNX Runtime's "S8S8"). */
    INT8(-128, 127, 3);

    private final int qmin;
    private final int qmax;
    private final int onnxType;

    QuantType(int qmin, int qmax, int onnxType) {
        this.qmin = qmin;
        this.qmax = qmax;
        this.onnxType = onnxType;
    }

    /** Smallest value. */
    public int qmin() {
        return qmin;
    }

    /** Largest value. */
    public int qmax() {
        return qmax;
    }

    /** The ONNX TensorProto data type. */
    public int onnxType() {
        return onnxType;
    }
}
