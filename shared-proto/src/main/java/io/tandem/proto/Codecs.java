package io.tandem.proto;

import io.tandem.proto.v1.DeployAck;
import io.tandem.proto.v1.DeployCommand;
import io.tandem.proto.v1.HardExample;
import io.tandem.proto.v1.HardExampleBatch;
import io.tandem.proto.v1.HumanLabel;
import io.tandem.proto.v1.InferenceResult;
import io.tandem.proto.v1.LabelledSample;
import io.tandem.proto.v1.ModelManifest;
import io.tandem.proto.v1.ResultBatch;
import io.tandem.proto.v1.SampleReceipt;
import io.tandem.proto.v1.TeacherAnswer;
import io.tandem.proto.v1.TeacherRequest;
import io.tandem.proto.v1.Telemetry;
import io.tandem.proto.v1.TelemetryWindow;
import io.tandem.proto.v1.Tensor;
import io.tandem.proto.v1.TrainingJob;
import io.tandem.proto.v1.TrainingResult;
import java.util.List;
import java.util.regex.Pattern;

/** The codec of every Tandem message, with its size limit and validation rules. */
public final class Codecs {

    /** The schema version this build writes and the only one it reads. */
    public static final int SCHEMA_VERSION = 1;

    /** Largest hard example: one camera frame of up to 768 KiB plus metadata. */
    public static final int MAX_HARD_EXAMPLE_BYTES = 1 << 20;
    /** Most hard examples one batch may carry. */
    public static final int MAX_EXAMPLES_PER_BATCH = 256;
    /** Largest hard example batch: a few full-size frames, or up to 256 small ones. */
    public static final int MAX_HARD_EXAMPLE_BATCH_BYTES = 4 << 20;
    /** Largest result batch. */
    public static final int MAX_RESULT_BATCH_BYTES = 1 << 20;
    /** Largest telemetry message. */
    public static final int MAX_TELEMETRY_BYTES = 16 << 10;
    /** Largest deploy command (it embeds the manifest). */
    public static final int MAX_DEPLOY_COMMAND_BYTES = 256 << 10;
    /** Largest deploy acknowledgement. */
    public static final int MAX_DEPLOY_ACK_BYTES = 16 << 10;
    /** Largest model manifest. */
    public static final int MAX_MANIFEST_BYTES = 256 << 10;
    /** Most elements a tensor on the wire may hold. */
    public static final long MAX_TENSOR_ELEMENTS = 768L << 10;
    /** Most bins of a telemetry window histogram. */
    public static final int MAX_HISTOGRAM_BINS = 1024;
    /** Most results in one batch. */
    public static final int MAX_RESULTS_PER_BATCH = 4096;

    private static final Pattern VERSION = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,63}");
    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");

    /** Hard examples, device to cloud. */
    public static final Codec<HardExample> HARD_EXAMPLE = new Codec<>("HardExample",
            MAX_HARD_EXAMPLE_BYTES, HardExample.parser(), Codecs::validateHardExample);
    /**
     * Hard example batches, device to cloud. Decoding checks the envelope and each element's size; each
     * element is then decoded on its own with {@link #HARD_EXAMPLE}, so one bad element does not cost the others.
     */
    public static final Codec<HardExampleBatch> HARD_EXAMPLE_BATCH = new Codec<>("HardExampleBatch",
            MAX_HARD_EXAMPLE_BATCH_BYTES, HardExampleBatch.parser(), Codecs::validateHardExampleBatch);
    /** Result batches, device to cloud. */
    public static final Codec<ResultBatch> RESULT_BATCH = new Codec<>("ResultBatch",
            MAX_RESULT_BATCH_BYTES, ResultBatch.parser(), Codecs::validateResultBatch);
    /** Telemetry, device to cloud. */
    public static final Codec<Telemetry> TELEMETRY = new Codec<>("Telemetry",
            MAX_TELEMETRY_BYTES, Telemetry.parser(), Codecs::validateTelemetry);
    /** Deploy commands, cloud to device. */
    public static final Codec<DeployCommand> DEPLOY_COMMAND = new Codec<>("DeployCommand",
            MAX_DEPLOY_COMMAND_BYTES, DeployCommand.parser(), Codecs::validateDeployCommand);
    /** Deploy acknowledgements, device to cloud. */
    public static final Codec<DeployAck> DEPLOY_ACK = new Codec<>("DeployAck",
            MAX_DEPLOY_ACK_BYTES, DeployAck.parser(), Codecs::validateDeployAck);
    /** Model manifests, stored beside artifacts and served over HTTP. */
    public static final Codec<ModelManifest> MANIFEST = new Codec<>("ModelManifest",
            MAX_MANIFEST_BYTES, ModelManifest.parser(), Codecs::validateManifest);

    /** Labelled samples, as the sample store keeps them. */
    public static final Codec<LabelledSample> LABELLED_SAMPLE = new Codec<>("LabelledSample",
            MAX_HARD_EXAMPLE_BYTES + (64 << 10), LabelledSample.parser(), Codecs::validateLabelledSample);

    /** Human labels, as the sample store keeps them. */
    public static final Codec<HumanLabel> HUMAN_LABEL = new Codec<>("HumanLabel", 4 << 10, HumanLabel.parser(),
            Codecs::validateHumanLabel);

    /** Most samples one receipt names. */
    public static final int MAX_RECEIPT_SEQUENCES = 10_000;

    /** The cloud's receipts for stored samples, cloud to device. */
    public static final Codec<SampleReceipt> SAMPLE_RECEIPT = new Codec<>("SampleReceipt",
            16 + MAX_RECEIPT_SEQUENCES * 11 + 256, SampleReceipt.parser(), Codecs::validateSampleReceipt);

    /** A device's request for the teacher's answer to one frame (joint inference). */
    public static final Codec<TeacherRequest> TEACHER_REQUEST = new Codec<>("TeacherRequest",
            MAX_HARD_EXAMPLE_BYTES, TeacherRequest.parser(), Codecs::validateTeacherRequest);

    /** The teacher's answer to one frame. */
    public static final Codec<TeacherAnswer> TEACHER_ANSWER = new Codec<>("TeacherAnswer", 64 << 10,
            TeacherAnswer.parser(), m -> schema("TeacherAnswer", m.getSchemaVersion()));

    /** Largest training job a worker takes: the teacher, its parameters and every stored sample. */
    public static final int MAX_TRAINING_JOB_BYTES = 512 << 20;

    /** A retrain worker's job, cloud to worker. */
    public static final Codec<TrainingJob> TRAINING_JOB = new Codec<>("TrainingJob", MAX_TRAINING_JOB_BYTES,
            TrainingJob.parser(), Codecs::validateTrainingJob);

    /** Largest training result a worker sends: a model, its fallback and a teacher's parameters. */
    public static final int MAX_TRAINING_RESULT_BYTES = 128 << 20;

    /** What a retrain worker made of its job, worker to cloud. */
    public static final Codec<TrainingResult> TRAINING_RESULT = new Codec<>("TrainingResult",
            MAX_TRAINING_RESULT_BYTES, TrainingResult.parser(), Codecs::validateTrainingResult);

    private Codecs() {
    }

    /** The codec for the messages of one device stream. */
    public static Codec<?> forStream(Topics.DeviceStream stream) {
        return switch (stream) {
            case SAMPLES -> HARD_EXAMPLE;
            case SAMPLE_BATCHES -> HARD_EXAMPLE_BATCH;
            case RESULTS -> RESULT_BATCH;
            case TELEMETRY -> TELEMETRY;
            case ACKS -> DEPLOY_ACK;
        };
    }

    /**
     * Decodes a device message of one stream and returns the device id it names, so a bridge can check it
     * against the topic it arrived on; throws {@link PayloadException} as the stream's codec does.
     */
    public static String deviceIdOf(Topics.DeviceStream stream, byte[] payload) {
        com.google.protobuf.Message m = forStream(stream).decode(payload);
        return (String) m.getField(m.getDescriptorForType().findFieldByName("device_id"));
    }

    /** Bytes per element of a dtype. */
    public static int elementSize(io.tandem.proto.v1.DType dtype) {
        return switch (dtype) {
            case FLOAT32 -> 4;
            case UINT8, INT8 -> 1;
            default -> throw invalid("tensor dtype " + dtype + " is not supported");
        };
    }

    /** Checks a tensor's shape, dtype and byte count agree. */
    public static void validateTensor(String what, Tensor tensor) {
        if (tensor.getShapeCount() == 0) {
            throw invalid(what + " has no shape");
        }
        long elements = 1;
        for (long dim : tensor.getShapeList()) {
            if (dim <= 0) {
                throw invalid(what + " has a non-positive dimension in shape " + tensor.getShapeList());
            }
            elements = Math.multiplyExact(elements, dim);
            if (elements > MAX_TENSOR_ELEMENTS) {
                throw invalid(what + " shape " + tensor.getShapeList() + " exceeds " + MAX_TENSOR_ELEMENTS + " elements");
            }
        }
        long expected = elements * elementSize(tensor.getDtype());
        if (tensor.getData().size() != expected) {
            throw invalid(what + " has " + tensor.getData().size() + " data bytes, shape "
                    + tensor.getShapeList() + " of " + tensor.getDtype() + " needs " + expected);
        }
    }

    private static void validateHardExample(HardExample m) {
        schema("HardExample", m.getSchemaVersion());
        device("HardExample", m.getFleet(), m.getDeviceId());
        version("HardExample.model_version", m.getModelVersion());
        if (!m.hasInput()) {
            throw invalid("HardExample has no input tensor");
        }
        validateTensor("HardExample.input", m.getInput());
        probabilities("HardExample.probabilities", m.getProbabilitiesList());
        if (m.hasGroundTruth() && (m.getGroundTruth() < 0 || m.getGroundTruth() >= m.getProbabilitiesCount())) {
            throw invalid("HardExample.ground_truth " + m.getGroundTruth() + " is outside the "
                    + m.getProbabilitiesCount() + " classes");
        }
        group("HardExample.group", m.getGroup());
    }

    private static void validateHardExampleBatch(HardExampleBatch m) {
        schema("HardExampleBatch", m.getSchemaVersion());
        device("HardExampleBatch", m.getFleet(), m.getDeviceId());
        if (m.getExamplesCount() == 0 || m.getExamplesCount() > MAX_EXAMPLES_PER_BATCH) {
            throw invalid("HardExampleBatch holds " + m.getExamplesCount() + " examples, allowed 1.."
                    + MAX_EXAMPLES_PER_BATCH);
        }
        for (com.google.protobuf.ByteString e : m.getExamplesList()) {
            if (e.size() > MAX_HARD_EXAMPLE_BYTES) {
                throw new PayloadException(PayloadException.Reason.OVERSIZED, "HardExampleBatch holds an example of "
                        + e.size() + " bytes, limit is " + MAX_HARD_EXAMPLE_BYTES);
            }
        }
    }

    private static void validateTeacherRequest(TeacherRequest m) {
        schema("TeacherRequest", m.getSchemaVersion());
        device("TeacherRequest", m.getFleet(), m.getDeviceId());
        if (!m.hasInput()) {
            throw invalid("TeacherRequest has no input tensor");
        }
        validateTensor("TeacherRequest.input", m.getInput());
        if (m.getBudgetMs() < 1 || m.getBudgetMs() > 60_000) {
            throw invalid("TeacherRequest.budget_ms must be in 1..60000, got " + m.getBudgetMs());
        }
    }

    private static void validateLabelledSample(LabelledSample m) {
        schema("LabelledSample", m.getSchemaVersion());
        validateHardExample(m.getExample());
        int classes = m.getTeacherLogitsCount();
        if (classes != m.getExample().getProbabilitiesCount()) {
            throw invalid("LabelledSample has " + classes + " teacher logits for "
                    + m.getExample().getProbabilitiesCount() + " classes");
        }
        for (float v : m.getTeacherLogitsList()) {
            if (!Float.isFinite(v)) {
                throw invalid("LabelledSample teacher logit " + v + " is not finite");
            }
        }
        if (m.getTeacherLabel() < 0 || m.getTeacherLabel() >= classes) {
            throw invalid("LabelledSample teacher_label " + m.getTeacherLabel() + " is outside 0.." + (classes - 1));
        }
        version("LabelledSample.teacher_version", m.getTeacherVersion());
    }

    private static void validateSampleReceipt(SampleReceipt m) {
        schema("SampleReceipt", m.getSchemaVersion());
        Topics.requireIdOrInvalid("SampleReceipt.device_id", m.getDeviceId());
        if (m.getIncarnation().length() > 64) {
            throw invalid("SampleReceipt.incarnation is longer than 64 characters");
        }
        if (m.getSequencesCount() == 0 || m.getSequencesCount() > MAX_RECEIPT_SEQUENCES) {
            throw invalid("SampleReceipt names " + m.getSequencesCount() + " samples, not 1.." + MAX_RECEIPT_SEQUENCES);
        }
    }

    private static void validateHumanLabel(HumanLabel m) {
        schema("HumanLabel", m.getSchemaVersion());
        Topics.requireIdOrInvalid("HumanLabel.device_id", m.getDeviceId());
        if (m.getLabel() < 0 || m.getLabel() > 100_000) {
            throw invalid("HumanLabel.label " + m.getLabel() + " is not a class index");
        }
        if (m.getAnnotator().length() > 128) {
            throw invalid("HumanLabel.annotator is longer than 128 characters");
        }
    }

    private static void validateResultBatch(ResultBatch m) {
        schema("ResultBatch", m.getSchemaVersion());
        device("ResultBatch", m.getFleet(), m.getDeviceId());
        version("ResultBatch.model_version", m.getModelVersion());
        group("ResultBatch.group", m.getGroup());
        if (m.getResultsCount() == 0 || m.getResultsCount() > MAX_RESULTS_PER_BATCH) {
            throw invalid("ResultBatch holds " + m.getResultsCount() + " results, allowed 1.." + MAX_RESULTS_PER_BATCH);
        }
        for (InferenceResult r : m.getResultsList()) {
            if (r.getPredictedClass() < 0 || !Float.isFinite(r.getConfidence()) || r.getConfidence() < 0
                    || r.getConfidence() > 1) {
                throw invalid("ResultBatch result " + r.getSequence() + " has class " + r.getPredictedClass()
                        + " confidence " + r.getConfidence());
            }
        }
    }

    private static void validateTelemetry(Telemetry m) {
        schema("Telemetry", m.getSchemaVersion());
        device("Telemetry", m.getFleet(), m.getDeviceId());
        group("Telemetry.group", m.getGroup());
        if (m.hasWindow()) {
            TelemetryWindow w = m.getWindow();
            if (w.getConfidenceHistogramCount() > MAX_HISTOGRAM_BINS
                    || w.getPredictedClassHistogramCount() > MAX_HISTOGRAM_BINS) {
                throw invalid("Telemetry.window histograms hold at most " + MAX_HISTOGRAM_BINS + " bins");
            }
            long confidence = w.getConfidenceHistogramList().stream().mapToLong(Long::longValue).sum();
            long classes = w.getPredictedClassHistogramList().stream().mapToLong(Long::longValue).sum();
            if ((w.getConfidenceHistogramCount() > 0 && confidence != w.getFrames())
                    || (w.getPredictedClassHistogramCount() > 0 && classes != w.getFrames())) {
                throw invalid("Telemetry.window histograms count " + confidence + " and " + classes + " frames, the"
                        + " window says " + w.getFrames());
            }
            if (w.getEscalated() > w.getFrames() || w.getEndMs() < w.getStartMs()) {
                throw invalid("Telemetry.window has " + w.getEscalated() + " escalated of " + w.getFrames()
                        + " frames, from " + w.getStartMs() + " to " + w.getEndMs());
            }
            if (!(w.getInputMean() >= 0 && w.getInputMean() <= 1 && w.getInputStd() >= 0 && w.getInputStd() <= 1)) {
                throw invalid("Telemetry.window input mean/std must be in [0, 1], got " + w.getInputMean() + "/"
                        + w.getInputStd());
            }
            if (!w.getModelVersion().isEmpty()) {
                version("Telemetry.window.model_version", w.getModelVersion());
            }
        }
    }

    private static void group(String what, String group) {
        if (!group.isEmpty()) {
            Topics.requireIdOrInvalid(what, group);
        }
    }

    private static void validateDeployCommand(DeployCommand m) {
        schema("DeployCommand", m.getSchemaVersion());
        Topics.requireIdOrInvalid("DeployCommand.fleet", m.getFleet());
        version("DeployCommand.model_version", m.getModelVersion());
        if (!m.getArtifactUrl().startsWith("http://") && !m.getArtifactUrl().startsWith("https://")) {
            throw invalid("DeployCommand.artifact_url must be http(s), got: " + m.getArtifactUrl());
        }
        if (!SHA256.matcher(m.getSha256()).matches()) {
            throw invalid("DeployCommand.sha256 must be 64 lowercase hex digits");
        }
        if (m.getSizeBytes() <= 0) {
            throw invalid("DeployCommand.size_bytes must be positive");
        }
        if (!(m.getConfidenceThreshold() >= 0 && m.getConfidenceThreshold() <= 1)) {
            throw invalid("DeployCommand.confidence_threshold must be in [0, 1], got " + m.getConfidenceThreshold());
        }
        if (m.hasManifest()) {
            validateManifest(m.getManifest());
        }
    }

    private static void validateDeployAck(DeployAck m) {
        schema("DeployAck", m.getSchemaVersion());
        device("DeployAck", m.getFleet(), m.getDeviceId());
        version("DeployAck.model_version", m.getModelVersion());
        if (m.getStatus() == DeployAck.Status.STATUS_UNSPECIFIED || m.getStatus() == DeployAck.Status.UNRECOGNIZED) {
            throw invalid("DeployAck.status is missing");
        }
    }

    private static void validateManifest(ModelManifest m) {
        schema("ModelManifest", m.getSchemaVersion());
        version("ModelManifest.version", m.getVersion());
        if (m.getModelId().isEmpty()) {
            throw invalid("ModelManifest.model_id is empty");
        }
        if (!m.getSha256().isEmpty() && !SHA256.matcher(m.getSha256()).matches()) {
            throw invalid("ModelManifest.sha256 must be 64 lowercase hex digits");
        }
        if (m.getClassLabelsCount() == 0) {
            throw invalid("ModelManifest has no class labels");
        }
        if (!(m.getTemperature() >= 0 && m.getTemperature() <= 100)) {
            throw invalid("ModelManifest.temperature must be in [0, 100], got " + m.getTemperature());
        }
    }

    private static void validateTrainingJob(TrainingJob m) {
        schema("TrainingJob", m.getSchemaVersion());
        if (m.getRunId().isEmpty()) {
            throw invalid("TrainingJob.run_id is missing");
        }
        if (m.getKind() != TrainingJob.Kind.TEACHER && m.getKind() != TrainingJob.Kind.STUDENT) {
            throw invalid("TrainingJob.kind is missing");
        }
        version("TrainingJob.version", m.getVersion());
        if (!m.hasTeacher() || m.getTeacher().getOnnx().isEmpty()) {
            throw invalid("TrainingJob.teacher has no ONNX file");
        }
        validateManifest(m.getTeacher().getManifest());
    }

    private static void validateTrainingResult(TrainingResult m) {
        schema("TrainingResult", m.getSchemaVersion());
        if (m.getRunId().isEmpty()) {
            throw invalid("TrainingResult.run_id is missing");
        }
        if (!m.getPromoted()) {
            return;
        }
        if (!m.hasManifest() || m.getArtifact().isEmpty()) {
            throw invalid("TrainingResult promotes a model but has no manifest or artifact");
        }
        validateManifest(m.getManifest());
        String actual = ArtifactDigest.sha256(m.getArtifact().toByteArray());
        if (!actual.equals(m.getManifest().getSha256())) {
            throw invalid("TrainingResult.artifact has sha256 " + actual + " but its manifest says "
                    + m.getManifest().getSha256());
        }
        if (!m.getManifest().getFallbackSha256().isEmpty()) {
            String fallback = ArtifactDigest.sha256(m.getFallback().toByteArray());
            if (!fallback.equals(m.getManifest().getFallbackSha256())) {
                throw invalid("TrainingResult.fallback has sha256 " + fallback + " but its manifest says "
                        + m.getManifest().getFallbackSha256());
            }
        }
    }

    private static void schema(String what, int version) {
        if (version != SCHEMA_VERSION) {
            throw new PayloadException(PayloadException.Reason.UNSUPPORTED_SCHEMA,
                    what + " schema_version " + version + ", this build reads " + SCHEMA_VERSION);
        }
    }

    private static void device(String what, String fleet, String deviceId) {
        Topics.requireIdOrInvalid(what + ".fleet", fleet);
        Topics.requireIdOrInvalid(what + ".device_id", deviceId);
    }

    private static void version(String what, String version) {
        if (!VERSION.matcher(version).matches()) {
            throw invalid(what + " must match " + VERSION.pattern() + ", got: '" + version + "'");
        }
    }

    private static void probabilities(String what, List<Float> probabilities) {
        if (probabilities.isEmpty() || probabilities.size() > 100_000) {
            throw invalid(what + " has " + probabilities.size() + " entries");
        }
        double sum = 0;
        for (float p : probabilities) {
            if (!Float.isFinite(p) || p < 0 || p > 1) {
                throw invalid(what + " holds " + p + ", not a probability");
            }
            sum += p;
        }
        if (Math.abs(sum - 1) > 1e-2) {
            throw invalid(what + " sum to " + sum + ", not 1");
        }
    }

    static PayloadException invalid(String message) {
        return new PayloadException(PayloadException.Reason.INVALID, message);
    }
}
