package io.tandem.distill.zoo;

/**
 * One layer of a zoo architecture. The same description builds the DJL block and the ONNX graph, so the
 * two cannot drift apart.
 */
public sealed interface Layer {

    /** 2-D convolution with square kernel, stride 1 and the given padding. */
    record Conv(int inChannels, int outChannels, int kernel, int padding) implements Layer {
    }

    /** Batch normalisation over channels (axis 1). */
    record BatchNorm(int channels, float epsilon) implements Layer {
    }

    /** Rectified linear unit. */
    record Relu() implements Layer {
    }

    /** Max pooling with a square window and stride equal to the window. */
    record MaxPool(int size) implements Layer {
    }

    /** Average pooling with a square window and stride equal to the window. */
    record AvgPool(int size) implements Layer {
    }

    /** Averages each channel over its whole plane, giving {@code [batch, C]}. */
    record GlobalAvgPool() implements Layer {
    }

    /** Flattens everything after the batch dimension. */
    record Flatten() implements Layer {
    }

    /** Fully connected layer. */
    record Linear(int inFeatures, int outFeatures) implements Layer {
    }

    /** Dropout while training; the identity at inference and removed at export. */
    record Dropout(float rate) implements Layer {
    }
}
