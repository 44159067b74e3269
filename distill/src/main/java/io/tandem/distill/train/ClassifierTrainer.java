package io.tandem.distill.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.GradientCollector;
import ai.djl.training.Trainer;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import io.tandem.distill.data.ImageSet;
import io.tandem.distill.data.Normalization;
import io.tandem.distill.kd.DistillationLoss;
import io.tandem.distill.kd.SoftTargets;
import io.tandem.distill.zoo.Architecture;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Random;

/**
 * Trains a zoo classifier on images, either on labels alone (cross-entropy) or by knowledge distillation
 * from a teacher's logits. Each step's arrays live in a sub-manager closed at the end of the step.
 */
public final class ClassifierTrainer {

    static {
        DjlRuntime.configure();
    }

    /** Gradients are clipped element-wise to this magnitude, so one bad batch cannot wreck the run. */
    public static final float GRADIENT_CLIP = 5f;

    private final PrintStream progressOut;

    /** Creates a trainer that reports progress to {@code progressOut}. */
    public ClassifierTrainer(PrintStream progressOut) {
        this.progressOut = progressOut;
    }

    /**
     * Trains a fresh model.
     *
     * @param architecture what to train
     * @param data labelled images
     * @param teacherLogits {@code [n * classes]} logits of a teacher for the same images, or an empty
     *     array when {@code config.alpha()} is 0
     * @param normalization how raw pixels become inputs
     * @param config hyper-parameters
     * @return the trained model; the caller closes it
     */
    public TrainedModel train(Architecture architecture, ImageSet data, float[] teacherLogits,
            Normalization normalization, TrainConfig config) {
        int n = data.size();
        int classes = architecture.classes();
        if (config.distills() && teacherLogits.length != (long) n * classes) {
            throw new IllegalArgumentException("distillation needs " + n * classes + " teacher logits ("
                    + n + " images x " + classes + " classes), got " + teacherLogits.length);
        }
        return train(architecture, data, config.distills() ? SoftTargets.cached(teacherLogits, classes) : null,
                normalization, config);
    }

    /**
     * Trains a fresh model with soft targets from any source (cached logits or an online DJL teacher).
     * Unlabelled data is allowed when {@code config.alpha()} is 1: the student then learns from the
     * teacher's soft targets alone, which is how unlabelled edge data teaches it.
     *
     * @param targets the teacher's targets, or null when {@code config.alpha()} is 0
     */
    public TrainedModel train(Architecture architecture, ImageSet data, SoftTargets targets,
            Normalization normalization, TrainConfig config) {
        return run(TrainedModel.uninitialised(architecture), data, targets, normalization, config, Augmentation.NONE);
    }

    /** Trains a fresh model as {@link #train(Architecture, ImageSet, SoftTargets, Normalization, TrainConfig)}, with
     * each image passed through {@code augmentation} every time it is drawn. */
    public TrainedModel train(Architecture architecture, ImageSet data, SoftTargets targets,
            Normalization normalization, TrainConfig config, Augmentation augmentation) {
        return run(TrainedModel.uninitialised(architecture), data, targets, normalization, config, augmentation);
    }

    /**
     * Continues training {@code start} (a loaded or trained model, which this call takes over and returns
     * trained further, or closes on failure), with each image passed through {@code augmentation} every time
     * it is drawn. This is how a teacher adapts to what the fleet sees without forgetting what it knew.
     */
    public TrainedModel fineTune(TrainedModel start, ImageSet data, SoftTargets targets, Normalization normalization,
            TrainConfig config, Augmentation augmentation) {
        return run(start, data, targets, normalization, config, augmentation);
    }

    private TrainedModel run(TrainedModel model, ImageSet data, SoftTargets targets, Normalization normalization,
            TrainConfig config, Augmentation augmentation) {
        try {
            trainInPlace(model, data, targets, normalization, config, augmentation);
            return model;
        } catch (RuntimeException e) {
            model.close();
            throw e;
        }
    }

    private void trainInPlace(TrainedModel model, ImageSet data, SoftTargets targets, Normalization normalization,
            TrainConfig config, Augmentation augmentation) {
        Architecture architecture = model.architecture();
        int n = data.size();
        int classes = architecture.classes();
        if (n == 0) {
            throw new IllegalArgumentException("training data is empty");
        }
        if (!data.labelled() && config.alpha() < 1) {
            throw new IllegalArgumentException("training data has no labels: use alpha 1 (soft targets only) to learn "
                    + "from a teacher, got alpha " + config.alpha());
        }
        if (config.distills() && (targets == null || targets.classes() != classes)) {
            throw new IllegalArgumentException("distillation needs a teacher with " + classes + " classes"
                    + (targets == null ? "" : ", the teacher has " + targets.classes()));
        }
        int[] labels = data.labelled() ? data.labels() : new int[n];
        for (int label : labels) {
            if (label < 0 || label >= classes) {
                throw new IllegalArgumentException("label " + label + " is outside 0.." + (classes - 1));
            }
        }
        Engine.getInstance().setRandomSeed((int) config.seed());
        DistillationLoss lossFunction = new DistillationLoss(config.temperature(), config.alpha());
        int batchSize = Math.min(config.batchSize(), n);
        Tracker learningRate = "cosine".equals(config.schedule())
                ? Tracker.cosine().setBaseValue(config.learningRate()).optFinalValue(0f)
                        .setMaxUpdates(config.epochs() * (n / batchSize)).build()
                : Tracker.fixed(config.learningRate());
        DefaultTrainingConfig djlConfig = new DefaultTrainingConfig(lossFunction)
                .optOptimizer("sgd".equals(config.optimizer())
                        ? Optimizer.sgd().setLearningRateTracker(learningRate).optMomentum(0.9f)
                                .optClipGrad(GRADIENT_CLIP).build()
                        : Optimizer.adam().optLearningRateTracker(learningRate).optClipGrad(GRADIENT_CLIP).build());
        int pixels = data.imageSize();
        Shape inputShape = architecture.batchShape(batchSize);
        Shape targetShape = new Shape(batchSize, classes);
        StepBuffer input = new StepBuffer(batchSize * pixels);
        StepBuffer hard = new StepBuffer(batchSize * classes);
        StepBuffer soft = new StepBuffer(batchSize * classes);
        int[] batchLabels = new int[batchSize];
        byte[] augmented = new byte[pixels];
        int[] order = new int[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        Random random = new Random(config.seed());
        String mode = config.distills() ? "kd " + architecture.name() : "train " + architecture.name();
        try (Trainer trainer = new Trainer(model.djlModel(), djlConfig)) {
            trainer.initialize(inputShape);
            for (int epoch = 1; epoch <= config.epochs(); epoch++) {
                shuffle(order, random);
                Progress progress = new Progress(progressOut,
                        String.format("%s epoch %d/%d", mode, epoch, config.epochs()), n);
                double lossSum = 0;
                int steps = 0;
                // Drop the last partial batch, as PyTorch's drop_last does, so every step has one shape.
                for (int start = 0; start + batchSize <= n; start += batchSize) {
                    for (int j = 0; j < batchSize; j++) {
                        int idx = order[start + j];
                        if (augmentation == Augmentation.NONE) {
                            normalization.apply(data.pixels(), idx * pixels, pixels, input.values, j * pixels);
                        } else {
                            System.arraycopy(data.pixels(), idx * pixels, augmented, 0, pixels);
                            augmentation.apply(augmented, data.rows(), data.cols(), random);
                            normalization.apply(augmented, 0, pixels, input.values, j * pixels);
                        }
                        batchLabels[j] = labels[idx];
                    }
                    if (config.distills()) {
                        targets.fill(order, start, batchSize, soft.values);
                    }
                    lossFunction.prepare(batchLabels, soft.values, batchSize, classes, hard.values, soft.values);
                    try (NDManager step = trainer.getManager().newSubManager()) {
                        NDList lossTargets = new NDList(2);
                        if (lossFunction.usesLabels()) {
                            lossTargets.add(hard.upload(step, targetShape));
                        }
                        if (lossFunction.usesTeacher()) {
                            lossTargets.add(soft.upload(step, targetShape));
                        }
                        try (GradientCollector collector = trainer.newGradientCollector()) {
                            NDList predictions = trainer.forward(new NDList(input.upload(step, inputShape)));
                            NDArray loss = trainer.getLoss().evaluate(lossTargets, predictions);
                            float value = loss.getFloat();
                            if (!Float.isFinite(value)) {
                                throw new TrainingDivergedException(String.format(
                                        "%s: loss became %s at epoch %d, example %d; lower the learning rate (%.2g)",
                                        mode, value, epoch, start, config.learningRate()));
                            }
                            collector.backward(loss);
                            lossSum += value;
                        }
                        trainer.step();
                    }
                    steps++;
                    progress.update(start + batchSize, String.format("loss %.4f", lossSum / steps));
                }
                progress.update(n, String.format("loss %.4f", lossSum / Math.max(1, steps)));
            }
        }
    }

    /**
     * One step's input or target values, with a native-order direct buffer reused every step: libtorch
     * wraps the buffer without copying it, so no step allocates native memory for its data. The array made
     * from it must be closed before the next upload, which the per-step sub-manager guarantees.
     */
    private static final class StepBuffer {
        final float[] values;
        private final ByteBuffer direct;

        StepBuffer(int size) {
            values = new float[size];
            direct = ByteBuffer.allocateDirect(size * Float.BYTES).order(ByteOrder.nativeOrder());
        }

        NDArray upload(NDManager manager, Shape shape) {
            direct.clear();
            direct.asFloatBuffer().put(values);
            return manager.create(direct, shape, DataType.FLOAT32);
        }
    }

    private static void shuffle(int[] order, Random random) {
        for (int i = order.length - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
    }
}
