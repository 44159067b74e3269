package io.tandem.fleet.process;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A process the demo started: its output goes to a log file and, prefixed with its name, to the console;
 * it can be waited on for a line, and is stopped with SIGTERM (then killed if it does not exit).
 */
public final class ChildProcess implements AutoCloseable {

    private final String name;
    private final Process process;
    private final Thread pump;
    private volatile Predicate<String> awaited;
    private volatile CountDownLatch awaitedLatch;

    private ChildProcess(String name, Process process, Path log, PrintStream console, boolean echo) {
        this.name = name;
        this.process = process;
        this.pump = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(),
                    StandardCharsets.UTF_8)); Writer out = Files.newBufferedWriter(log)) {
                String line;
                while ((line = in.readLine()) != null) {
                    out.write(line);
                    out.write('\n');
                    out.flush();
                    if (echo) {
                        console.println("[" + name + "] " + line);
                    }
                    Predicate<String> p = awaited;
                    if (p != null && p.test(line)) {
                        awaitedLatch.countDown();
                    }
                }
            } catch (IOException e) {
                // The stream closes when the process is stopped; what it printed is in the log already.
            }
        }, name + "-output");
        pump.setDaemon(true);
    }

    /** Starts a command in {@code dir}, logging to {@code log}; echoes its output when {@code echo}. */
    public static ChildProcess start(String name, List<String> command, Path dir, Path log, PrintStream console,
            boolean echo, java.util.Map<String, String> env) {
        ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true);
        pb.environment().putAll(env);
        try {
            Files.createDirectories(log.getParent());
            ChildProcess child = new ChildProcess(name, pb.start(), log, console, echo);
            child.pump.start();
            return child;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + name + ": " + command, e);
        }
    }

    /** Prepares to wait for a line; call before the line can appear. */
    public void expectLine(Predicate<String> line) {
        awaitedLatch = new CountDownLatch(1);
        awaited = line;
    }

    /** Waits for the line given to {@link #expectLine}; fails if the process exits or time runs out. */
    public void awaitLine(Duration timeout, String what) {
        long deadline = System.nanoTime() + timeout.toNanos();
        try {
            while (!awaitedLatch.await(200, TimeUnit.MILLISECONDS)) {
                if (!process.isAlive()) {
                    throw new IllegalStateException(name + " exited with " + process.exitValue() + " before " + what);
                }
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException(name + " did not report " + what + " within " + timeout.toSeconds() + " s");
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted waiting for " + name, e);
        }
    }

    /** Waits for the process to exit and returns its status. */
    public int waitFor(Duration timeout) {
        try {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new IllegalStateException(name + " did not finish within " + timeout.toSeconds() + " s");
            }
            pump.join(5000);
            return process.exitValue();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted waiting for " + name, e);
        }
    }

    /** Whether the process still runs. */
    public boolean alive() {
        return process.isAlive();
    }

    /** CPU time the process has used so far (user and system), zero where the platform does not say. */
    public Duration cpuTime() {
        return process.info().totalCpuDuration().orElse(Duration.ZERO);
    }

    /** The process's name in logs. */
    public String name() {
        return name;
    }

    /** Sends SIGTERM, waits up to {@code grace}, then kills. */
    public void stop(Duration grace) {
        if (!process.isAlive()) {
            return;
        }
        process.destroy();
        try {
            if (!process.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
            }
            pump.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
    }

    /** Kills the process at once (SIGKILL, as {@code kill -9}): no shutdown hook, no flush, no goodbye. */
    public void kill() {
        process.destroyForcibly();
        try {
            process.waitFor(10, TimeUnit.SECONDS);
            pump.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Freezes ({@code SIGSTOP}) or thaws ({@code SIGCONT}) the process: it holds its connections but answers nothing. */
    public void freeze(boolean frozen) {
        try {
            Process kill = new ProcessBuilder("kill", frozen ? "-STOP" : "-CONT", Long.toString(process.pid()))
                    .inheritIO().start();
            if (kill.waitFor() != 0) {
                throw new IllegalStateException("kill " + (frozen ? "-STOP " : "-CONT ") + process.pid() + " failed");
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted signalling " + name, e);
        }
    }

    @Override
    public void close() {
        stop(Duration.ofSeconds(20));
    }
}
