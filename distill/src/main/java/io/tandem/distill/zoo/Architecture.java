package io.tandem.distill.zoo;

import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.Blocks;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.nn.norm.Dropout;
import ai.djl.nn.pooling.Pool;
import java.util.List;

/**
 * A named network: its input shape (without batch), its layers and its number of classes.
 *
 * @param name zoo name, e.g. {@code teacher-cnn}
 * @param inputShape shape of one input, e.g. {@code [1, 28, 28]}
 * @param layers layers in order
 */
public record Architecture(String name, List<Long> inputShape, List<Layer> layers) {

    /** Copies the lists. */
    public Architecture {
        inputShape = List.copyOf(inputShape);
        layers = List.copyOf(layers);
    }

    /** Number of output classes (the last linear layer's width). */
    public int classes() {
        for (int i = layers.size() - 1; i >= 0; i--) {
            if (layers.get(i) instanceof Layer.Linear l) {
                return l.outFeatures();
            }
        }
        throw new IllegalStateException(name + " has no linear output layer");
    }

    /** Number of trainable parameters (weights, biases, batch-norm scale and shift). */
    public long parameterCount() {
        long total = 0;
        for (Layer layer : layers) {
            if (layer instanceof Layer.Conv c) {
                total += (long) c.outChannels() * c.inChannels() * c.kernel() * c.kernel() + c.outChannels();
            } else if (layer instanceof Layer.BatchNorm b) {
                total += 2L * b.channels();
            } else if (layer instanceof Layer.Linear l) {
                total += (long) l.outFeatures() * l.inFeatures() + l.outFeatures();
            }
        }
        return total;
    }

    /**
     * Multiply-accumulates of one inference, from the input shape through every layer. Batch
     * normalisation is not counted: the exporter folds it into the preceding convolution.
     */
    public long macs() {
        long[] shape = inputShape.stream().mapToLong(Long::longValue).toArray();
        long total = 0;
        for (Layer layer : layers) {
            if (layer instanceof Layer.Conv c) {
                long h = shape[1] + 2L * c.padding() - c.kernel() + 1;
                long w = shape[2] + 2L * c.padding() - c.kernel() + 1;
                total += (long) c.outChannels() * h * w * c.inChannels() * c.kernel() * c.kernel();
                shape = new long[] {c.outChannels(), h, w};
            } else if (layer instanceof Layer.MaxPool p) {
                shape = new long[] {shape[0], shape[1] / p.size(), shape[2] / p.size()};
            } else if (layer instanceof Layer.AvgPool p) {
                shape = new long[] {shape[0], shape[1] / p.size(), shape[2] / p.size()};
            } else if (layer instanceof Layer.GlobalAvgPool) {
                shape = new long[] {shape[0]};
            } else if (layer instanceof Layer.Flatten) {
                long n = 1;
                for (long d : shape) {
                    n *= d;
                }
                shape = new long[] {n};
            } else if (layer instanceof Layer.Linear l) {
                total += (long) l.inFeatures() * l.outFeatures();
                shape = new long[] {l.outFeatures()};
            }
        }
        return total;
    }

    /** The DJL input shape for a batch of {@code batch}. */
    public Shape batchShape(long batch) {
        long[] dims = new long[inputShape.size() + 1];
        dims[0] = batch;
        for (int i = 0; i < inputShape.size(); i++) {
            dims[i + 1] = inputShape.get(i);
        }
        return new Shape(dims);
    }

    /** Builds a fresh, uninitialised DJL block with one child per layer. */
    public SequentialBlock newBlock() {
        SequentialBlock block = new SequentialBlock();
        for (Layer layer : layers) {
            block.add(toBlock(layer));
        }
        return block;
    }

    private static Block toBlock(Layer layer) {
        if (layer instanceof Layer.Conv c) {
            return Conv2d.builder().setFilters(c.outChannels())
                    .setKernelShape(new Shape(c.kernel(), c.kernel()))
                    .optPadding(new Shape(c.padding(), c.padding())).build();
        } else if (layer instanceof Layer.BatchNorm b) {
            return BatchNorm.builder().optEpsilon(b.epsilon()).build();
        } else if (layer instanceof Layer.Relu) {
            return Activation.reluBlock();
        } else if (layer instanceof Layer.MaxPool p) {
            return Pool.maxPool2dBlock(new Shape(p.size(), p.size()), new Shape(p.size(), p.size()));
        } else if (layer instanceof Layer.AvgPool p) {
            return Pool.avgPool2dBlock(new Shape(p.size(), p.size()), new Shape(p.size(), p.size()));
        } else if (layer instanceof Layer.GlobalAvgPool) {
            return Pool.globalAvgPool2dBlock();
        } else if (layer instanceof Layer.Flatten) {
            return Blocks.batchFlattenBlock();
        } else if (layer instanceof Layer.Linear l) {
            return Linear.builder().setUnits(l.outFeatures()).build();
        } else if (layer instanceof Layer.Dropout d) {
            return Dropout.builder().optRate(d.rate()).build();
        }
        throw new IllegalArgumentException("no DJL block for " + layer);
    }
}
