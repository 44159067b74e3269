package io.tandem.distill.manifest;

import io.tandem.distill.data.ImageSet;
import io.tandem.distill.data.Normalization;
import io.tandem.proto.v1.DType;
import io.tandem.proto.v1.InputSpec;
import io.tandem.proto.v1.ModelManifest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * What a model expects, read from its manifest rather than assumed: a {@code channels x rows x cols}
 * image of unsigned bytes, the normalisation that turns it into the model's input, and the class names.
 *
 * @param normalization raw bytes to model input
 * @param channels image channels
 * @param rows image height
 * @param cols image width
 * @param classes class names in label order
 */
public record ModelInput(Normalization normalization, int channels, int rows, int cols, List<String> classes) {

    /** Reads the input spec and classes of a manifest; fails naming what the manifest lacks. */
    public static ModelInput of(ModelManifest manifest) {
        InputSpec spec = manifest.getInput();
        String what = "manifest of " + manifest.getModelId() + " " + manifest.getVersion();
        if (spec.getShapeCount() != 3 || spec.getShapeList().stream().anyMatch(d -> d < 1 || d > 4096)) {
            throw new IllegalArgumentException(what + ": input shape must be [channels, rows, cols], got "
                    + spec.getShapeList());
        }
        if (spec.getRawDtype() != DType.UINT8) {
            throw new IllegalArgumentException(what + ": only UINT8 raw inputs are supported, got " + spec.getRawDtype());
        }
        if (manifest.getClassLabelsCount() < 2) {
            throw new IllegalArgumentException(what + ": needs at least two class labels, has "
                    + manifest.getClassLabelsCount());
        }
        Normalization n;
        try {
            n = new Normalization(spec.getScale(), spec.getMean(), spec.getStd());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(what + ": " + e.getMessage(), e);
        }
        return new ModelInput(n, (int) spec.getShape(0), (int) spec.getShape(1), (int) spec.getShape(2),
                List.copyOf(manifest.getClassLabelsList()));
    }

    /**
     * The manifest of a model file: {@code explicit} when given, else {@code <name>.manifest.pb} beside it;
     * fails naming the file it looked for.
     */
    public static ModelManifest manifestOf(Path onnx, Path explicit) {
        Path file = explicit != null ? explicit
                : onnx.resolveSibling(onnx.getFileName().toString().replaceFirst("\\.onnx$", "") + ".manifest.pb");
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("no manifest " + file + " for " + onnx
                    + "; the input spec and classes come from it (pass --manifest)");
        }
        return ModelArtifacts.readManifest(file);
    }

    /** Fails unless {@code images} are grey images of this input's size. */
    public ImageSet require(ImageSet images, String what) {
        if (channels != 1 || images.rows() != rows || images.cols() != cols) {
            throw new IllegalArgumentException(what + " holds 1x" + images.rows() + "x" + images.cols()
                    + " images, the model takes " + channels + "x" + rows + "x" + cols);
        }
        return images;
    }
}
