package io.tandem.distill.kd;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.training.loss.Loss;

/**
 * Hinton's knowledge-distillation loss:
 * {@code alpha * T^2 * KL(softmax(t/T) || softmax(s/T)) + (1 - alpha) * CE(s, y)}.
 *
 * <p>Labels are an {@link NDList} of the one-hot targets {@code [B, C]} and, when alpha is positive, the
 * teacher's logits {@code [B, C]}. With alpha 0 it is plain softmax cross-entropy.
 */
public final class DistillationLoss extends Loss {

    private final float temperature;
    private final float alpha;

    /** Creates the loss for a temperature and a weight of the distillation term. */
    public DistillationLoss(float temperature, float alpha) {
        super(alpha > 0 ? "KDLoss" : "CELoss");
        this.temperature = temperature;
        this.alpha = alpha;
    }

    @Override
    public NDArray evaluate(NDList labels, NDList predictions) {
        NDArray student = predictions.singletonOrThrow();
        NDArray oneHot = labels.get(0);
        NDArray loss = null;
        if (alpha < 1) {
            NDArray ce = oneHot.mul(student.logSoftmax(1)).sum(new int[] {1}).mean().neg();
            loss = ce.mul(1 - alpha);
        }
        if (alpha > 0) {
            NDArray teacher = labels.get(1);
            NDArray logPt = teacher.div(temperature).logSoftmax(1);
            NDArray logPs = student.div(temperature).logSoftmax(1);
            NDArray kl = logPt.exp().mul(logPt.sub(logPs)).sum(new int[] {1}).mean();
            NDArray kd = kl.mul(alpha * temperature * temperature);
            loss = loss == null ? kd : loss.add(kd);
        }
        return loss;
    }
}
