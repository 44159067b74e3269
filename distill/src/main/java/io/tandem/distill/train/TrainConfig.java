package io.tandem.distill.train;

/**
 * Hyper-parameters of one training run.
 *
 * @param epochs passes over the data, at least 1
 * @param batchSize examples per step, 1..4096
 * @param learningRate Adam's learning rate, positive
 * @param seed seeds parameter initialisation and shuffling, so a run is reproducible
 * @param temperature distillation temperature T (softens both distributions), positive
 * @param alpha weight of the distillation term in [0, 1]; 0 trains on labels only, 1 on soft targets only
 * @param optimizer {@code adam} or {@code sgd} (with momentum 0.9)
 * @param schedule {@code fixed} keeps the learning rate; {@code cosine} decays it along a half cosine to zero
 *     over the whole run
 */
public record TrainConfig(int epochs, int batchSize, float learningRate, long seed, float temperature, float alpha,
        String optimizer, String schedule) {

    /**
     * The distillation temperature used unless configured. With {@link #DEFAULT_ALPHA} it is the setting
     * under which KD student-tiny beat the same student trained on labels alone on full Fashion-MNIST (mean
     * of 3 seeds); hotter and heavier KD lost to it (bench/RESULTS.md).
     */
    public static final float DEFAULT_TEMPERATURE = 1f;

    /** The weight of the distillation term used unless configured. */
    public static final float DEFAULT_ALPHA = 0.3f;

    /** A configuration with the Adam optimizer and a fixed learning rate. */
    public TrainConfig(int epochs, int batchSize, float learningRate, long seed, float temperature, float alpha) {
        this(epochs, batchSize, learningRate, seed, temperature, alpha, "adam", "fixed");
    }

    /** A configuration with a fixed learning rate. */
    public TrainConfig(int epochs, int batchSize, float learningRate, long seed, float temperature, float alpha,
            String optimizer) {
        this(epochs, batchSize, learningRate, seed, temperature, alpha, optimizer, "fixed");
    }

    /** Checks every value is in range, naming the one that is not. */
    public TrainConfig {
        if (epochs < 1) {
            throw new IllegalArgumentException("epochs must be >= 1, got " + epochs);
        }
        if (batchSize < 1 || batchSize > 4096) {
            throw new IllegalArgumentException("batch size must be in 1..4096, got " + batchSize);
        }
        if (!(learningRate > 0) || !Float.isFinite(learningRate)) {
            throw new IllegalArgumentException("learning rate must be positive, got " + learningRate);
        }
        if (!(temperature > 0) || !Float.isFinite(temperature)) {
            throw new IllegalArgumentException("temperature must be positive, got " + temperature);
        }
        if (!(alpha >= 0 && alpha <= 1)) {
            throw new IllegalArgumentException("alpha must be in [0, 1], got " + alpha);
        }
        if (!"adam".equals(optimizer) && !"sgd".equals(optimizer)) {
            throw new IllegalArgumentException("optimizer must be adam or sgd, got " + optimizer);
        }
        if (!"fixed".equals(schedule) && !"cosine".equals(schedule)) {
            throw new IllegalArgumentException("learning-rate schedule must be fixed or cosine, got " + schedule);
        }
    }

    /** Supervised training with cross-entropy only. */
    public static TrainConfig supervised(int epochs, int batchSize, float learningRate, long seed) {
        return new TrainConfig(epochs, batchSize, learningRate, seed, 1f, 0f);
    }

    /** The same configuration with another learning-rate schedule. */
    public TrainConfig withSchedule(String newSchedule) {
        return new TrainConfig(epochs, batchSize, learningRate, seed, temperature, alpha, optimizer, newSchedule);
    }

    /** The same run with another seed. */
    public TrainConfig withSeed(long newSeed) {
        return new TrainConfig(epochs, batchSize, learningRate, newSeed, temperature, alpha, optimizer, schedule);
    }

    /** Whether this run uses soft targets from a teacher. */
    public boolean distills() {
        return alpha > 0;
    }
}
