package io.tandem.distill.kd;

import io.tandem.distill.data.ImageSet;
import io.tandem.distill.data.Normalization;
import io.tandem.distill.train.Augmentation;
import io.tandem.distill.train.PhotometricAugmentation;
import io.tandem.distill.train.SiteAugmentation;
import io.tandem.distill.train.TrainConfig;
import io.tandem.distill.zoo.Architecture;
import io.tandem.proto.ManifestMetrics;
import io.tandem.proto.v1.ModelManifest;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * How a fleet student is made from the teacher in service: base data plus the fleet's (or one site's)
 * examples, the latter repeated to a third of the base size (half for a site's own student), distilled with the
 * teacher's own augmentation (camera augmentation when the teacher learnt with it). The cloud's pipeline
 * and the simulator's shadow baselines both use it, so a baseline differs from the loop only in its data.
 */
public final class FleetStudentRecipe {

    /** Manifest metric: the chi-square of the site's class mix against the base data's, when the student learnt it. */
    public static final String SITE_MIX_CHI_SQUARE = "site_mix_chi_square";

    /** Most times an example is repeated. */
    public static final int MAX_REPEAT = 10;

    private FleetStudentRecipe() {
    }

    /**
     * What one student learns from. {@code auditLabels} are the labels of the site's random audits (empty for a
     * fleet-wide student): when they show a class mix clearly unlike the base data's ({@link SitePrior}), the
     * student learns that mix.
     */
    public record Inputs(Architecture architecture, Path teacherOnnx, String teacherVersion, Augmentation augmentation,
            ImageSet base, EdgeSamples examples, double share, ImageSet heldOut, ImageSet eval,
            Normalization normalization, TrainConfig config, int[] auditLabels) {
    }

    /** Share of the base size the fleet's examples are repeated up to in a fleet-wide student. */
    public static final double FLEET_SHARE = 1.0 / 3;
    /** Share for a site's own student: its site's examples weigh as much as half the base data. */
    public static final double SITE_SHARE = 1.0 / 2;

    /**
     * The augmentation a student learns with: none from a teacher that learnt without; from an adapted
     * teacher, camera augmentation, or for a site whose input statistics ({@code siteMean}, {@code siteStd};
     * NaN when unknown) differ from the base data's by more than a tenth, the augmentation that makes base
     * images look like that site's.
     */
    public static Augmentation augmentation(boolean teacherAugmented, double baseMean, double baseStd, double siteMean,
            double siteStd) {
        if (!teacherAugmented) {
            return Augmentation.NONE;
        }
        if (Double.isNaN(siteMean) || Double.isNaN(siteStd) || (Math.abs(siteMean - baseMean) <= 0.1 * baseMean
                && Math.abs(siteStd - baseStd) <= 0.1 * baseStd)) {
            return PhotometricAugmentation.CAMERA;
        }
        return SiteAugmentation.matching(baseMean, baseStd, siteMean, siteStd);
    }

    /** Times each example is repeated: {@code share} of the base size in all, between 1 and {@link #MAX_REPEAT}. */
    public static int repeat(int baseSize, int examples, double share) {
        return examples == 0 ? 0 : Math.max(1, Math.min(MAX_REPEAT, (int) (baseSize * share / examples)));
    }

    /**
     * Distils the student into {@code outDir} ({@code name}.onnx) and returns its manifest; the teacher labels the
     * base images on {@code ortThreads} ONNX Runtime threads.
     */
    public static ModelManifest distil(PrintStream log, Inputs in, ModelManifest.Builder manifest, Path outDir,
            String name, int ortThreads) {
        int times = repeat(in.base().size(), in.examples().images().size(), in.share());
        EdgeSamples repeated = repeat(in.examples(), times);
        ImageSet base = in.base();
        float[] shift = new float[0];
        java.util.Optional<SitePrior> prior = SitePrior.estimate(in.auditLabels(), base.labels(),
                in.architecture().classes());
        if (prior.isPresent()) {
            // Bayes' rule under label shift: base images drawn so that, with the site's examples, each class is learnt as
            // often as the site sees it, and the teacher's soft targets shifted to the site's mix.
            shift = prior.get().logitShift(base.labels());
            base = prior.get().resample(base, repeated.images().labels(), in.config().seed());
            log.printf("the site sees its own mix of objects (chi-square %.0f over %d audits): base data drawn as %s%n",
                    prior.get().chiSquare(), prior.get().audits(), prior.get().describe());
            manifest.putMetrics(SITE_MIX_CHI_SQUARE, prior.get().chiSquare());
            ManifestMetrics.putSiteLogitShift(manifest, shift);
        } else if (in.auditLabels().length > 0) {
            log.printf("the site's %d audits show the base data's mix of objects%n", in.auditLabels().length);
        }
        return new StudentDistiller(log, ortThreads).distill(new StudentDistiller.Request(in.architecture(),
                new Teacher.Onnx(in.teacherOnnx(), shift), in.teacherVersion(), base, repeated, in.heldOut(), in.eval(),
                in.normalization(), in.config(), manifest.putDataBySource("base", base.size())
                        .putDataBySource("edge", in.examples().images().size()).putMetrics("edge_repeat", times),
                outDir, name, in.augmentation()));
    }

    private static EdgeSamples repeat(EdgeSamples s, int times) {
        if (times <= 1) {
            return s;
        }
        ImageSet images = s.images();
        byte[] pixels = new byte[Math.multiplyExact(images.pixels().length, times)];
        int[] labels = new int[images.labels().length * times];
        float[] logits = new float[Math.multiplyExact(s.teacherLogits().length, times)];
        for (int t = 0; t < times; t++) {
            System.arraycopy(images.pixels(), 0, pixels, t * images.pixels().length, images.pixels().length);
            System.arraycopy(images.labels(), 0, labels, t * images.labels().length, images.labels().length);
            System.arraycopy(s.teacherLogits(), 0, logits, t * s.teacherLogits().length, s.teacherLogits().length);
        }
        return new EdgeSamples(new ImageSet(pixels, labels, images.rows(), images.cols()), logits, List.copyOf(s.skipped()));
    }

    /** Examples made of images, the labels to learn and the teacher's logits for each. */
    public static EdgeSamples examples(ImageSet images, float[] teacherLogits) {
        if (teacherLogits.length % Math.max(1, images.size()) != 0) {
            throw new IllegalArgumentException(teacherLogits.length + " logits do not divide among " + images.size()
                    + " images");
        }
        return new EdgeSamples(images, Arrays.copyOf(teacherLogits, teacherLogits.length), List.of());
    }
}
