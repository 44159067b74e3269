package io.tandem.distill.zoo;

import io.tandem.distill.zoo.Layer.AvgPool;
import io.tandem.distill.zoo.Layer.BatchNorm;
import io.tandem.distill.zoo.Layer.Conv;
import io.tandem.distill.zoo.Layer.Dropout;
import io.tandem.distill.zoo.Layer.Flatten;
import io.tandem.distill.zoo.Layer.GlobalAvgPool;
import io.tandem.distill.zoo.Layer.Linear;
import io.tandem.distill.zoo.Layer.MaxPool;
import io.tandem.distill.zoo.Layer.Relu;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** The architectures Tandem trains, selected by name. Shapes are fixed so results compare across tools. */
public final class ModelZoo {

    /** Name of the teacher CNN. */
    public static final String TEACHER_CNN = "teacher-cnn";
    /** Name of the smallest student. */
    public static final String STUDENT_TINY = "student-tiny";
    /** Name of the wider student. */
    public static final String STUDENT_SMALL = "student-small";
    /** Name of the student with batch norm, average and global average pooling. */
    public static final String STUDENT_GAP = "student-gap";
    /** Name of the small MLP on flattened 28x28 inputs. */
    public static final String MLP_SMALL = "mlp-small";

    private static final List<Long> MNIST_INPUT = List.of(1L, 28L, 28L);
    private static final float BN_EPS = 1e-5f;

    private static final Map<String, Architecture> ZOO = new TreeMap<>(Map.of(
            STUDENT_SMALL, new Architecture(STUDENT_SMALL, MNIST_INPUT, List.of(
                    new Conv(1, 16, 3, 1), new Relu(), new MaxPool(2),
                    new Conv(16, 32, 3, 1), new Relu(), new MaxPool(2),
                    new Flatten(),
                    new Linear(1568, 10))),
            STUDENT_GAP, new Architecture(STUDENT_GAP, MNIST_INPUT, List.of(
                    new Conv(1, 16, 3, 1), new BatchNorm(16, BN_EPS), new Relu(), new MaxPool(2),
                    new Conv(16, 32, 3, 1), new BatchNorm(32, BN_EPS), new Relu(), new AvgPool(2),
                    new Conv(32, 48, 3, 1), new Relu(), new GlobalAvgPool(),
                    new Flatten(),
                    new Linear(48, 10))),
            MLP_SMALL, mlp(MLP_SMALL, 784, 10, 128, 64),
            TEACHER_CNN, new Architecture(TEACHER_CNN, MNIST_INPUT, List.of(
                    new Conv(1, 32, 3, 1), new BatchNorm(32, BN_EPS), new Relu(),
                    new Conv(32, 64, 3, 1), new BatchNorm(64, BN_EPS), new Relu(),
                    new MaxPool(2),
                    new Conv(64, 128, 3, 1), new BatchNorm(128, BN_EPS), new Relu(),
                    new MaxPool(2),
                    new Flatten(),
                    new Linear(6272, 256), new Relu(), new Dropout(0.3f),
                    new Linear(256, 10))),
            STUDENT_TINY, new Architecture(STUDENT_TINY, MNIST_INPUT, List.of(
                    new Conv(1, 8, 3, 1), new Relu(), new MaxPool(2),
                    new Conv(8, 16, 3, 1), new Relu(), new MaxPool(2),
                    new Flatten(),
                    new Linear(784, 10)))));

    private ModelZoo() {
    }

    /** The architecture with this name. */
    public static Architecture get(String name) {
        Architecture a = ZOO.get(name);
        if (a == null) {
            throw new IllegalArgumentException("unknown architecture '" + name + "', known: " + ZOO.keySet());
        }
        return a;
    }

    /**
     * A multi-layer perceptron for feature vectors (sensor readings): {@code Linear+ReLU} per hidden
     * width, then a linear classifier. Inputs are {@code [batch, features]}.
     */
    public static Architecture mlp(String name, int features, int classes, int... hidden) {
        if (features < 1 || classes < 2) {
            throw new IllegalArgumentException("an MLP needs >= 1 feature and >= 2 classes, got " + features + ", " + classes);
        }
        List<Layer> layers = new java.util.ArrayList<>();
        int in = features;
        for (int h : hidden) {
            if (h < 1) {
                throw new IllegalArgumentException("hidden width must be positive, got " + h);
            }
            layers.add(new Linear(in, h));
            layers.add(new Relu());
            in = h;
        }
        layers.add(new Linear(in, classes));
        return new Architecture(name, List.of((long) features), layers);
    }

    /** Every architecture name. */
    public static List<String> names() {
        return List.copyOf(ZOO.keySet());
    }
}
