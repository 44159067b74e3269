package io.tandem.worker;

import io.tandem.distill.data.FashionMnist;
import io.tandem.distill.data.ImageSet;
import io.tandem.distill.train.TrainConfig;
import io.tandem.distill.zoo.ModelZoo;
import io.tandem.proto.Codecs;
import io.tandem.proto.v1.TrainingJob;
import io.tandem.proto.v1.TrainingResult;
import io.tandem.proto.v1.TrainingSettings;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Runs one training job on this worker: unpacks the teacher, labels the fleet's samples with it, and either
 * fine-tunes the teacher ({@link TeacherAdaptation}) or distils and gates one student ({@link StudentRound},
 * then {@link StudentPackaging}). The base data set is read from this worker's disk, once per folder and size.
 */
final class JobRunner {

    private final PrintStream log;
    private final Path work;
    private final int onnxThreads;
    private final Optional<Path> dataDir;
    private String loadedKey = "";
    private ImageSet base;
    private ImageSet heldOut;
    private ImageSet eval;

    /**
     * @param dataDir the Fashion-MNIST folder to read instead of the one the job names (each worker has its own)
     */
    JobRunner(PrintStream log, Path work, int onnxThreads, Optional<Path> dataDir) {
        this.log = log;
        this.work = work;
        this.onnxThreads = onnxThreads;
        this.dataDir = dataDir;
    }

    /** Where a job works; removed by {@link #clean} once its result is delivered. */
    Path dir(TrainingJob job) {
        return work.resolve(job.getRunId().replaceAll("[^A-Za-z0-9_.-]", "_"));
    }

    TrainingResult run(TrainingJob job) {
        TrainingSettings s = job.getSettings();
        load(s);
        Path dir = dir(job);
        try (JobTeacher teacher = JobTeacher.unpack(job.getTeacher(), dir.resolve("teacher"), onnxThreads)) {
            EdgeExamples edge = job.getSamplesCount() == 0 ? EdgeExamples.none(base.rows(), base.cols(), teacher.classes())
                    : EdgeExamples.relabel(job.getSamplesList(), teacher, base.rows(), base.cols());
            log.printf("run %s: %s %s %s (%s); %d samples (%d labelled by a person) from groups %s%n", job.getRunId(),
                    job.getKind(), job.getModelId(), job.getVersion(), job.getReason(), edge.all().size(),
                    edge.where(EdgeExamples.Example::human).size(), edge.groups());
            TrainingResult.Builder result = job.getKind() == TrainingJob.Kind.TEACHER ? teacher(job, teacher, edge, dir)
                    : student(job, teacher, edge, dir);
            return result.setSchemaVersion(Codecs.SCHEMA_VERSION).setRunId(job.getRunId()).build();
        }
    }

    private TrainingResult.Builder teacher(TrainingJob job, JobTeacher teacher, EdgeExamples edge, Path dir) {
        TrainingSettings s = job.getSettings();
        ImageSet roundBase = base.head(Math.min(base.size(), s.getAdaptationBaseLimit()));
        Path out = dir.resolve("tuned");
        TeacherAdaptation.Outcome t = new TeacherAdaptation(log).run(teacher, roundBase, eval, edge, job.getSitesList(),
                new TeacherAdaptation.Settings(s.getTeacherEpochs(), s.getTeacherLearningRate(),
                        s.getPseudoLabelConfidence(), s.getHumanRepeat(), s.getSeed()), job.getVersion(), out);
        TrainingResult.Builder r = TrainingResult.newBuilder().setPromoted(t.promoted()).setReason(t.reason());
        if (!t.promoted()) {
            return r;
        }
        Path params = paramsIn(out);
        return r.setManifest(t.manifest()).setArtifact(StudentPackaging.read(out.resolve(JobTeacher.ONNX)))
                .setParams(StudentPackaging.read(params)).setParamsName(params.getFileName().toString());
    }

    private TrainingResult.Builder student(TrainingJob job, JobTeacher teacher, EdgeExamples edge, Path dir) {
        TrainingSettings s = job.getSettings();
        TrainConfig train = new TrainConfig(s.getEpochs(), s.getBatchSize(), s.getLearningRate(), s.getSeed(),
                s.getTemperature(), s.getAlpha());
        Optional<Path> deployed = Optional.empty();
        if (!job.getDeployedOnnx().isEmpty()) {
            Path file = dir.resolve("deployed.onnx");
            write(file, job.getDeployedOnnx().toByteArray());
            deployed = Optional.of(file);
        }
        double[] site = job.getHasSiteInput() ? new double[] {job.getSiteInputMean(), job.getSiteInputStd()}
                : new double[] {Double.NaN, Double.NaN};
        StudentRound.Outcome o = new StudentRound(log).run(new StudentRound.Inputs(ModelZoo.get(s.getStudentArchitecture()),
                teacher, base, heldOut, eval, edge, train, s.getGateSamples(), onnxThreads), job.getDeviceGroup(), job.getModelId(),
                job.getVersion(), job.getParentVersion(), deployed, site, job.getFleetStudentGroupsList(),
                dir.resolve("student"));
        if (!o.promoted()) {
            return TrainingResult.newBuilder().setPromoted(false).setReason(o.reason());
        }
        return StudentPackaging.ship(o.onnx(), o.manifest(), s.getInt8(), heldOut, eval, teacher.normalization())
                .setReason(o.reason());
    }

    /** Reads the base data the settings name (or this worker's own folder), unless it is loaded already. */
    private void load(TrainingSettings s) {
        Path folder = dataDir.orElse(Path.of(s.getBaseData().isEmpty() ? FashionMnist.DEBIAN_FOLDER : s.getBaseData()));
        String key = folder + "|" + s.getBaseLimit() + "|" + s.getEvalLimit();
        if (key.equals(loadedKey)) {
            return;
        }
        log.printf("loading the base data from %s (%d training images, %d test images)%n", folder, s.getBaseLimit(),
                s.getEvalLimit());
        ImageSet full = FashionMnist.train(folder);
        base = FashionMnist.trainingPart(full, s.getBaseLimit());
        heldOut = FashionMnist.heldOutPart(full);
        eval = FashionMnist.test(folder).head(s.getEvalLimit());
        loadedKey = key;
    }

    /** Removes a job's folder. */
    void clean(TrainingJob job) {
        Path dir = dir(job);
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            log.printf("cannot remove %s: %s%n", dir, e.getMessage());
        }
    }

    private static Path paramsIn(Path dir) {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(p -> p.getFileName().toString().endsWith(".params")).findFirst()
                    .orElseThrow(() -> new IllegalStateException("the fine-tuned teacher left no parameters in " + dir));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void write(Path file, byte[] bytes) {
        try {
            Files.createDirectories(file.getParent());
            Files.write(file, bytes);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }
}
