package io.tandem.fleet.process;

import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;

/**
 * Starts the processes of one run, each logging to {@code logs/<name>.log}; waits for conditions under
 * one deadline while watching that a process it depends on is still alive; stops them all, newest first.
 * Every child gets the environment that keeps DJL offline.
 */
public final class Supervisor implements AutoCloseable {

    /** Environment every child process gets: DJL must never reach the network. */
    public static final Map<String, String> OFFLINE_ENV = Map.of("OPT_OUT_TRACKING", "true", "DJL_OFFLINE", "true");

    private final Path projectDir;
    private final Path logDir;
    private final PrintStream out;
    private final long deadlineNanos;
    private final List<ChildProcess> children = new ArrayList<>();

    /** A supervisor for processes run from {@code projectDir}, giving up after {@code timeout}. */
    public Supervisor(Path projectDir, Path logDir, PrintStream out, Duration timeout) {
        this.projectDir = projectDir;
        this.logDir = logDir;
        this.out = out;
        this.deadlineNanos = System.nanoTime() + timeout.toNanos();
        // A run stopped from outside (Ctrl-C, a timeout's SIGTERM) must not leave brokers or a cloud behind.
        Runtime.getRuntime().addShutdownHook(new Thread(this::killAll, "supervisor-shutdown"));
    }

    private void killAll() {
        List<ChildProcess> running;
        synchronized (this) {
            running = List.copyOf(children);
        }
        for (int i = running.size() - 1; i >= 0; i--) {
            running.get(i).stop(Duration.ofSeconds(5));
        }
    }

    /** Starts a process; with {@code readyLine}, {@link ChildProcess#awaitLine} waits for the first match. */
    public synchronized ChildProcess launch(String name, List<String> command, Predicate<String> readyLine) {
        ChildProcess child = ChildProcess.start(name, command, projectDir, logDir.resolve(name + ".log"), out, true,
                OFFLINE_ENV);
        if (readyLine != null) {
            child.expectLine(readyLine);
        }
        children.add(child);
        return child;
    }

    /** The java launcher of this JVM. */
    public static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    /** The class path of a built module: its classes and the runtime class path Maven wrote for it. */
    public String classpath(String module) {
        Path dir = projectDir.resolve(module);
        Path cp = requireFile(dir.resolve("target/runtime-classpath.txt"));
        try {
            return dir.resolve("target/classes") + File.pathSeparator + Files.readString(cp).trim();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A file of the build; fails naming the build command when it is missing. */
    public Path requireFile(Path file) {
        Path f = projectDir.resolve(file);
        if (!Files.exists(f)) {
            throw new IllegalStateException(f + " is missing: build first with ./mvnw -DskipTests install");
        }
        return f;
    }

    /** Time left before the deadline. */
    public Duration remaining() {
        return Duration.ofNanos(Math.max(0, deadlineNanos - System.nanoTime()));
    }

    /**
     * Polls {@code condition} every half second until it holds; fails when {@code watched} exits or the
     * deadline passes. A condition that throws counts as not yet true (a service still starting).
     */
    public void waitFor(String what, BooleanSupplier condition, ChildProcess watched) {
        out.println("... waiting for " + what);
        while (true) {
            try {
                if (condition.getAsBoolean()) {
                    return;
                }
            } catch (RuntimeException e) {
                // Not reachable yet: keep waiting until the deadline.
            }
            if (!watched.alive()) {
                throw new IllegalStateException(watched.name() + " exited while waiting for " + what + "; see "
                        + logDir.resolve(watched.name() + ".log"));
            }
            if (System.nanoTime() > deadlineNanos) {
                throw new IllegalStateException("timed out waiting for " + what + "; logs in " + logDir);
            }
            try {
                Thread.sleep(500);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted waiting for " + what, e);
            }
        }
    }

    /** A free TCP port on the loopback interface. */
    public static int freePort() {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * {@code n} distinct free ports on the loopback address: each is held open until all are found, so that two
     * of them can never be the same port (one at a time, the system may hand a just-closed port out again).
     */
    public static int[] freePorts(int n) {
        List<ServerSocket> held = new ArrayList<>();
        try {
            int[] ports = new int[n];
            for (int i = 0; i < n; i++) {
                ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
                held.add(s);
                ports[i] = s.getLocalPort();
            }
            return ports;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            for (ServerSocket s : held) {
                try {
                    s.close();
                } catch (IOException e) {
                    // closing a listening socket that accepted nothing; nothing to keep
                }
            }
        }
    }

    /** Stops every process, newest first. */
    @Override
    public synchronized void close() {
        for (int i = children.size() - 1; i >= 0; i--) {
            children.get(i).stop(Duration.ofSeconds(20));
        }
    }
}
