package io.tandem.fleet.process;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

/**
 * The base teacher, trained once per configuration and kept under the user's cache folder
 * ({@code ~/.cache/tandem/teachers/<key>/}, keyed by everything that shapes it), since training it takes
 * longer than a demo should. A half-written entry is never used: training writes to a temporary folder
 * that is renamed when complete.
 */
public final class TeacherCache {

    /** What the teacher is trained with. */
    public record Recipe(String architecture, int limit, int epochs, long seed, Path data) {

        /** The benches' base teacher: teacher-cnn on 58,000 training images, 2 epochs, seed 42. */
        public static Recipe base(Path data) {
            return new Recipe(io.tandem.distill.zoo.ModelZoo.TEACHER_CNN, 58_000, 2, 42, data);
        }

        String key() {
            try {
                String text = "arch=" + architecture + ";limit=" + limit + ";epochs=" + epochs + ";seed=" + seed
                        + ";data=" + data.toAbsolutePath() + ";v=1";
                byte[] digest = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
                return architecture + "-" + HexFormat.of().formatHex(digest, 0, 8);
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    private TeacherCache() {
    }

    /** The default cache folder: {@code $XDG_CACHE_HOME/tandem} or {@code ~/.cache/tandem}. */
    public static Path defaultFolder() {
        String xdg = System.getenv("XDG_CACHE_HOME");
        Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache");
        return base.resolve("tandem");
    }

    /**
     * The folder of the cached teacher ({@code teacher.onnx}, its manifest and parameters), training it
     * first with the distill command line when it is not cached.
     */
    public static Path teacher(Recipe recipe, Path cacheFolder, Supervisor processes, PrintStream out) {
        Path dir = cacheFolder.resolve("teachers").resolve(recipe.key());
        if (Files.isRegularFile(dir.resolve("teacher.onnx")) && Files.isRegularFile(dir.resolve("teacher.manifest.pb"))) {
            out.println("==> base teacher from the cache: " + dir);
            return dir;
        }
        out.printf("==> training the base teacher once (%s, %d images, %d epochs); it is cached in %s and later runs"
                + " start at once%n", recipe.architecture(), recipe.limit(), recipe.epochs(), dir);
        Path tmp = dir.resolveSibling(dir.getFileName() + ".tmp-" + ProcessHandle.current().pid());
        ChildProcess train = processes.launch("teacher", List.of(Supervisor.java(), "-Xmx3g", "-Dai.djl.offline=true",
                "-DOPT_OUT_TRACKING=true", "-cp", processes.classpath("distill"), "io.tandem.distill.cli.DistillCli",
                "train-teacher", "--arch", recipe.architecture(), "--data", recipe.data().toString(), "--limit",
                "" + recipe.limit(), "--epochs", "" + recipe.epochs(), "--seed", "" + recipe.seed(), "--eval-limit", "2000",
                "--out", tmp.toString()), null);
        if (train.waitFor(processes.remaining()) != 0) {
            throw new IllegalStateException("teacher training failed; see its log");
        }
        try {
            Files.createDirectories(dir.getParent());
            Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot keep the teacher in " + dir, e);
        }
        return dir;
    }
}
