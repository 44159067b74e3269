package io.tandem.cloud.dashboard;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Debian's headless Chromium driven over the DevTools protocol: navigate, evaluate JavaScript, capture
 * screenshots, and collect every console error and uncaught exception of the page. Started with its own empty
 * profile and without background networking (this machine reaches no outside host).
 */
final class Chromium implements AutoCloseable {

    /** Where Debian's package puts it. */
    static final Path BINARY = Path.of("/usr/bin/chromium");

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Process process;
    private final Path profile;
    private final WebSocket socket;
    private final AtomicInteger ids = new AtomicInteger();
    private final Map<Integer, CompletableFuture<JsonNode>> pending = new ConcurrentHashMap<>();
    private final List<String> errors = new CopyOnWriteArrayList<>();

    private Chromium(Process process, Path profile, WebSocket socket) {
        this.process = process;
        this.profile = profile;
        this.socket = socket;
    }

    /** Starts Chromium and attaches to its first page. */
    static Chromium start() throws Exception {
        if (!Files.isExecutable(BINARY)) {
            throw new IllegalStateException(BINARY + " is missing: install Debian's chromium (bin/tandem-test does)");
        }
        Path profile = Files.createTempDirectory("tandem-chromium");
        Process p = new ProcessBuilder(BINARY.toString(), "--headless", "--no-sandbox", "--disable-gpu",
                "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--disable-extensions", "--mute-audio", "--user-data-dir=" + profile,
                "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0", "--window-size=1280,900",
                "about:blank").redirectErrorStream(true).redirectOutput(profile.resolve("chromium.log").toFile()).start();
        Path active = profile.resolve("DevToolsActivePort");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!(Files.exists(active) && Files.readAllLines(active).size() >= 2)) {
            if (System.nanoTime() > deadline || !p.isAlive()) {
                p.destroyForcibly();
                throw new IllegalStateException("Chromium did not open its DevTools port: "
                        + Files.readString(profile.resolve("chromium.log")));
            }
            Thread.sleep(100);
        }
        int port = Integer.parseInt(Files.readAllLines(active).get(0).trim());
        HttpClient http = HttpClient.newHttpClient();
        String pageUrl = null;
        for (int tries = 0; pageUrl == null && tries < 50; tries++) {
            JsonNode targets = JSON.readTree(http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
                    + "/json/list")).build(), HttpResponse.BodyHandlers.ofString()).body());
            for (JsonNode t : targets) {
                if ("page".equals(t.path("type").asText())) {
                    pageUrl = t.path("webSocketDebuggerUrl").asText();
                }
            }
            if (pageUrl == null) {
                Thread.sleep(100);
            }
        }
        if (pageUrl == null) {
            p.destroyForcibly();
            throw new IllegalStateException("Chromium opened no page");
        }
        Chromium[] self = new Chromium[1];
        StringBuilder partial = new StringBuilder();
        WebSocket socket = http.newWebSocketBuilder().buildAsync(URI.create(pageUrl), new WebSocket.Listener() {
            @Override
            public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
                partial.append(data);
                if (last) {
                    String message = partial.toString();
                    partial.setLength(0);
                    self[0].onMessage(message);
                }
                ws.request(1);
                return null;
            }
        }).get(10, TimeUnit.SECONDS);
        Chromium c = new Chromium(p, profile, socket);
        self[0] = c;
        c.call("Page.enable", Map.of());
        c.call("Runtime.enable", Map.of());
        c.call("Log.enable", Map.of());
        return c;
    }

    private void onMessage(String message) {
        try {
            JsonNode m = JSON.readTree(message);
            if (m.has("id")) {
                CompletableFuture<JsonNode> f = pending.remove(m.get("id").asInt());
                if (f != null) {
                    f.complete(m);
                }
                return;
            }
            String method = m.path("method").asText();
            JsonNode params = m.path("params");
            if (method.equals("Runtime.consoleAPICalled") && params.path("type").asText().equals("error")) {
                errors.add("console.error: " + params.path("args"));
            } else if (method.equals("Runtime.exceptionThrown")) {
                errors.add("uncaught: " + params.path("exceptionDetails"));
            } else if (method.equals("Log.entryAdded") && params.path("entry").path("level").asText().equals("error")) {
                errors.add("log: " + params.path("entry").path("text").asText() + " "
                        + params.path("entry").path("url").asText());
            }
        } catch (IOException e) {
            errors.add("unreadable DevTools message: " + e.getMessage());
        }
    }

    /** Sends one DevTools command and waits for its answer; throws if Chromium answers with an error. */
    JsonNode call(String method, Map<String, Object> params) throws Exception {
        int id = ids.incrementAndGet();
        CompletableFuture<JsonNode> answer = new CompletableFuture<>();
        pending.put(id, answer);
        ObjectNode m = JSON.createObjectNode().put("id", id).put("method", method);
        m.set("params", JSON.valueToTree(params));
        socket.sendText(JSON.writeValueAsString(m), true).get(10, TimeUnit.SECONDS);
        JsonNode r = answer.get(30, TimeUnit.SECONDS);
        if (r.has("error")) {
            throw new IllegalStateException(method + " failed: " + r.get("error"));
        }
        return r.path("result");
    }

    /** Opens a URL and waits until the page has loaded. */
    void open(String url) throws Exception {
        call("Page.navigate", Map.of("url", url));
        waitFor("document.readyState === 'complete'", Duration.ofSeconds(20));
    }

    /** The value of a JavaScript expression in the page. */
    JsonNode eval(String expression) throws Exception {
        JsonNode r = call("Runtime.evaluate", Map.of("expression", expression, "returnByValue", true,
                "awaitPromise", true));
        if (r.has("exceptionDetails")) {
            throw new IllegalStateException(expression + " threw: " + r.get("exceptionDetails"));
        }
        return r.path("result").path("value");
    }

    /** Waits until a JavaScript condition holds; false if it did not within the timeout. */
    boolean waitFor(String condition, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (eval("Boolean(" + condition + ")").asBoolean()) {
                return true;
            }
            Thread.sleep(100);
        }
        return false;
    }

    /** Saves what the page shows now as a PNG. */
    void screenshot(Path file) throws Exception {
        byte[] png = Base64.getDecoder().decode(call("Page.captureScreenshot", Map.of("format", "png")).path("data")
                .asText());
        Files.createDirectories(file.getParent());
        Files.write(file, png);
    }

    /** Console errors and uncaught exceptions seen so far. */
    List<String> errors() {
        return new ArrayList<>(errors);
    }

    @Override
    public void close() {
        socket.abort();
        process.destroy();
        try {
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
        try (var files = Files.walk(profile)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
