package io.tandem.distill.train;

import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.ParameterStore;
import io.tandem.distill.data.ImageSet;
import io.tandem.distill.data.Normalization;
import io.tandem.distill.zoo.Architecture;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;

/** A DJL model of a zoo architecture with trained parameters. Close it to free native memory. */
public final class TrainedModel implements AutoCloseable {

    static {
        DjlRuntime.configure();
    }

    /** Largest batch used for inference: native memory peaks with batch size. */
    public static final int EVAL_BATCH = 256;

    private final Architecture architecture;
    private final Model model;

    TrainedModel(Architecture architecture, Model model) {
        this.architecture = architecture;
        this.model = model;
    }

    /** Creates a model with freshly initialised parameters. */
    public static TrainedModel initialise(Architecture architecture) {
        TrainedModel m = uninitialised(architecture);
        m.model.getBlock().initialize(m.model.getNDManager(), DataType.FLOAT32, architecture.batchShape(1));
        return m;
    }

    /** Creates a model whose parameters a DJL trainer will initialise. */
    static TrainedModel uninitialised(Architecture architecture) {
        Model model = Model.newInstance(architecture.name());
        model.setBlock(architecture.newBlock());
        return new TrainedModel(architecture, model);
    }

    /** Loads parameters saved by {@link #save(Path)}. */
    public static TrainedModel load(Architecture architecture, Path dir) {
        Model model = Model.newInstance(architecture.name());
        model.setBlock(architecture.newBlock());
        try {
            model.load(dir, architecture.name());
        } catch (IOException | MalformedModelException e) {
            model.close();
            throw new IllegalArgumentException("cannot load " + architecture.name() + " parameters from " + dir
                    + ": " + e.getMessage(), e);
        }
        return new TrainedModel(architecture, model);
    }

    /** The architecture of this model. */
    public Architecture architecture() {
        return architecture;
    }

    /** The underlying DJL model, for the exporter and the training loop. */
    public Model djlModel() {
        return model;
    }

    /** Saves the parameters into {@code dir} as {@code <name>-0000.params}. */
    public void save(Path dir) {
        try {
            Files.createDirectories(dir);
            model.save(dir, architecture.name());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot save " + architecture.name() + " to " + dir, e);
        }
    }

    /** Logits {@code [n * classes]} for every image of a set, computed in inference mode. */
    public float[] logits(ImageSet images, Normalization normalization) {
        int n = images.size();
        int classes = architecture.classes();
        int pixels = images.imageSize();
        float[] out = new float[Math.multiplyExact(n, classes)];
        float[] batch = new float[EVAL_BATCH * pixels];
        ParameterStore store = new ParameterStore(model.getNDManager(), false);
        for (int start = 0; start < n; start += EVAL_BATCH) {
            int b = Math.min(EVAL_BATCH, n - start);
            normalization.apply(images.pixels(), start * pixels, b * pixels, batch, 0);
            try (NDManager step = model.getNDManager().newSubManager()) {
                NDArray x = step.create(FloatBuffer.wrap(batch, 0, b * pixels), architecture.batchShape(b));
                NDArray y = model.getBlock().forward(store, new NDList(x), false).singletonOrThrow();
                System.arraycopy(y.toFloatArray(), 0, out, start * classes, b * classes);
            }
        }
        return out;
    }

    @Override
    public void close() {
        model.close();
    }
}
