package io.tandem.fleet.process;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;
import picocli.CommandLine;

/** What the fleet simulator's commands (the demo, the chaos run) share: how they start and their run folder. */
public final class Commands {

    private Commands() {
    }

    /**
     * Runs a picocli command with DJL kept offline and exits with its status; a failure prints one line,
     * {@code NAME: message}, and exits 2.
     */
    public static void exit(String name, Object command, String[] args) {
        System.setProperty("ai.djl.offline", "true");
        CommandLine cli = new CommandLine(command);
        cli.setExecutionExceptionHandler((e, cmd, parsed) -> {
            cmd.getErr().println(name + ": " + e.getMessage());
            return 2;
        });
        System.exit(cli.execute(args));
    }

    /** Empties a run's folder (what an earlier run left) and creates it. */
    public static Path freshFolder(Path dir) throws IOException {
        if (Files.exists(dir)) {
            try (Stream<Path> paths = Files.walk(dir)) {
                for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
        return Files.createDirectories(dir);
    }
}
