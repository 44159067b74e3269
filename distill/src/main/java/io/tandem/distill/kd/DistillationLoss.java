package io.tandem.distill.kd;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.training.loss.Loss;
import io.tandem.distill.calib.TemperatureScaling;
import java.util.Arrays;

/**
 * Hinton's knowledge-distillation loss:
 * {@code alpha * T^2 * KL(softmax(t/T) || softmax(s/T)) + (1 - alpha) * CE(s, y)}, averaged over the batch.
 *
 * <p>Everything that does not depend on the student is worked out on the Java side by
 * {@link #prepare}: the teacher's tempered probabilities, the batch mean and the weights of both terms are
 * folded into two weight matrices, and the teacher's entropy into one constant. The graph that autograd
 * records is then {@code sum(hard * logSoftmax(s)) + sum(soft * logSoftmax(s / T)) + constant}: eight native
 * calls instead of fourteen, with the same value and gradient as the formula above.
 *
 * <p>{@link #evaluate}'s labels are the weight matrices {@code [B, C]} that {@link #prepare} filled: the hard
 * weights when alpha is below 1, then the soft weights when alpha is above 0. With alpha 0 it is plain
 * softmax cross-entropy.
 */
public final class DistillationLoss extends Loss {

    private final float temperature;
    private final float alpha;
    private float constant;

    /** Creates the loss for a temperature and a weight of the distillation term. */
    public DistillationLoss(float temperature, float alpha) {
        super(alpha > 0 ? "KDLoss" : "CELoss");
        if (!(temperature > 0) || !(alpha >= 0 && alpha <= 1)) {
            throw new IllegalArgumentException("KD needs temperature > 0 and alpha in [0, 1], got T " + temperature
                    + ", alpha " + alpha);
        }
        this.temperature = temperature;
        this.alpha = alpha;
    }

    /** Whether {@link #evaluate} takes hard-label weights (alpha below 1). */
    public boolean usesLabels() {
        return alpha < 1;
    }

    /** Whether {@link #evaluate} takes teacher weights (alpha above 0). */
    public boolean usesTeacher() {
        return alpha > 0;
    }

    /**
     * Turns one batch's labels and teacher logits into the weight matrices {@link #evaluate} takes, and
     * remembers the batch's constant term (the teacher's part of the KL divergence) for the next evaluation.
     *
     * @param labels the batch's class indices, {@code batch} of them (ignored when alpha is 1)
     * @param teacherLogits the teacher's logits, {@code batch * classes} (ignored when alpha is 0)
     * @param hardWeights receives {@code -(1 - alpha) / B * onehot(y)}
     * @param softWeights receives {@code -alpha * T^2 / B * softmax(t / T)}; may be {@code teacherLogits}
     *     itself, each row is read before it is overwritten
     */
    public void prepare(int[] labels, float[] teacherLogits, int batch, int classes, float[] hardWeights,
            float[] softWeights) {
        if (usesLabels()) {
            float w = -(1 - alpha) / batch;
            Arrays.fill(hardWeights, 0, batch * classes, 0f);
            for (int j = 0; j < batch; j++) {
                hardWeights[j * classes + labels[j]] = w;
            }
        }
        double negativeEntropy = 0;
        if (usesTeacher()) {
            double scale = alpha * temperature * temperature / batch;
            for (int j = 0; j < batch; j++) {
                int row = j * classes;
                double logSum = TemperatureScaling.logSumExp(teacherLogits, row, classes, temperature);
                for (int c = 0; c < classes; c++) {
                    double logP = teacherLogits[row + c] / temperature - logSum;
                    double p = Math.exp(logP);
                    softWeights[row + c] = (float) (-scale * p);
                    if (p > 0) {
                        negativeEntropy += p * logP;
                    }
                }
            }
            negativeEntropy *= scale;
        }
        constant = (float) negativeEntropy;
    }

    @Override
    public NDArray evaluate(NDList labels, NDList predictions) {
        NDArray student = predictions.singletonOrThrow();
        NDArray loss = null;
        int next = 0;
        if (usesLabels()) {
            loss = student.logSoftmax(1).mul(labels.get(next++));
        }
        if (usesTeacher()) {
            NDArray kd = student.div(temperature).logSoftmax(1).mul(labels.get(next));
            loss = loss == null ? kd : loss.add(kd);
        }
        loss = loss.sum();
        return constant == 0 ? loss : loss.add(constant);
    }
}
