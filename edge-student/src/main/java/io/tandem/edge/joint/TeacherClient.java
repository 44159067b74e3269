package io.tandem.edge.joint;

import com.google.protobuf.ByteString;
import io.tandem.proto.Codecs;
import io.tandem.proto.PayloadException;
import io.tandem.proto.v1.DType;
import io.tandem.proto.v1.TeacherAnswer;
import io.tandem.proto.v1.TeacherRequest;
import io.tandem.proto.v1.Tensor;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Asks the cloud's teacher to answer an escalated frame within a deadline. Requests go out only while the
 * circuit breaker is closed and the rate limit allows; every call completes by the deadline, with the
 * teacher's answer or the reason there is none, so the device answers with its student instead.
 */
public final class TeacherClient {

    /**
     * Joint inference settings of a device.
     *
     * @param endpoint the teacher endpoint ({@code http://host:port/api/teacher/infer}); empty = joint inference off
     * @param budgetMs how long an answer is worth waiting for (default 50 ms, 1..60,000)
     * @param maxPerSecond most requests a second (default 500)
     * @param failureThreshold failures in a row that open the circuit breaker (default 5)
     * @param openFor how long the breaker stays open before a trial request (default 2 s)
     * @param apiToken the bearer token shown to the endpoint; empty = none
     */
    public record Settings(String endpoint, int budgetMs, double maxPerSecond, int failureThreshold, Duration openFor,
            String apiToken) {

        /** Joint inference off. */
        public static final Settings OFF = new Settings("", 50, 500, 5, Duration.ofSeconds(2));

        /** Settings without an API token. */
        public Settings(String endpoint, int budgetMs, double maxPerSecond, int failureThreshold, Duration openFor) {
            this(endpoint, budgetMs, maxPerSecond, failureThreshold, openFor, "");
        }

        /** These settings showing {@code token} to the endpoint. */
        public Settings withApiToken(String token) {
            return new Settings(endpoint, budgetMs, maxPerSecond, failureThreshold, openFor, token);
        }

        /** Checks the ranges. */
        public Settings {
            if (endpoint == null || !(endpoint.isEmpty() || endpoint.startsWith("http://")
                    || endpoint.startsWith("https://"))) {
                throw new IllegalArgumentException("teacher endpoint must be an http(s) URL or empty, got " + endpoint);
            }
            if (budgetMs < 1 || budgetMs > 60_000) {
                throw new IllegalArgumentException("teacher budget must be in 1..60000 ms, got " + budgetMs);
            }
            if (!(maxPerSecond > 0)) {
                throw new IllegalArgumentException("teacher request rate must be positive, got " + maxPerSecond);
            }
            if (failureThreshold < 1) {
                throw new IllegalArgumentException("breaker threshold must be >= 1, got " + failureThreshold);
            }
            if (openFor == null || openFor.isNegative() || openFor.isZero()) {
                throw new IllegalArgumentException("breaker open time must be positive");
            }
            apiToken = apiToken == null ? "" : apiToken.trim();
        }

        /** Whether joint inference is on. */
        public boolean enabled() {
            return !endpoint.isEmpty();
        }

        /** Joint inference against {@code endpoint} with these limits. */
        public Settings withEndpoint(String endpoint, int budgetMs) {
            return new Settings(endpoint, budgetMs, maxPerSecond, failureThreshold, openFor, apiToken);
        }
    }

    /** How a request ended. */
    public enum Outcome { TEACHER, TIMEOUT, OVERLOADED, ERROR, CIRCUIT_OPEN, RATE_LIMITED }

    /** The teacher's answer, or why there is none. */
    public record Answer(Outcome outcome, TeacherAnswer answer, String detail, long retryAfterMs) {

        Answer(Outcome outcome, TeacherAnswer answer, String detail) {
            this(outcome, answer, detail, 0);
        }
    }

    private final Settings settings;
    private final String deviceId;
    private final String fleet;
    private final URI uri;
    private final HttpClient http;
    private final CircuitBreaker breaker;
    private final RateLimiter limiter;
    private final Map<Outcome, AtomicLong> counts = new EnumMap<>(Outcome.class);

    /** A client for one device. */
    public TeacherClient(Settings settings, String deviceId, String fleet) {
        this.settings = settings;
        this.deviceId = deviceId;
        this.fleet = fleet;
        this.uri = URI.create(settings.endpoint());
        this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofMillis(Math.max(100, settings.budgetMs()))).build();
        this.breaker = new CircuitBreaker(settings.failureThreshold(), settings.openFor().toNanos());
        this.limiter = new RateLimiter(settings.maxPerSecond(), System.nanoTime());
        for (Outcome o : Outcome.values()) {
            counts.put(o, new AtomicLong());
        }
    }

    /** Asks for the teacher's answer to one raw frame; the future completes within the budget. */
    public CompletableFuture<Answer> ask(long sequence, byte[] pixels, List<Long> shape) {
        long now = System.nanoTime();
        if (!breaker.allow(now)) {
            return done(new Answer(Outcome.CIRCUIT_OPEN, null, "circuit breaker open"));
        }
        if (!limiter.tryAcquire(now)) {
            if (breaker.state() == CircuitBreaker.State.HALF_OPEN) {
                breaker.failure(now);
            }
            return done(new Answer(Outcome.RATE_LIMITED, null, "over " + settings.maxPerSecond() + " requests/s"));
        }
        byte[] body = Codecs.TEACHER_REQUEST.encode(TeacherRequest.newBuilder().setSchemaVersion(Codecs.SCHEMA_VERSION)
                .setDeviceId(deviceId).setFleet(fleet).setSequence(sequence).setBudgetMs(settings.budgetMs())
                .setInput(Tensor.newBuilder().addAllShape(shape).setDtype(DType.UINT8).setData(ByteString.copyFrom(pixels)))
                .build());
        HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(Duration.ofMillis(settings.budgetMs()))
                .header("Content-Type", "application/x-protobuf").POST(HttpRequest.BodyPublishers.ofByteArray(body));
        if (!settings.apiToken().isEmpty()) {
            request.header("Authorization", "Bearer " + settings.apiToken());
        }
        CompletableFuture<Answer> answer = http.sendAsync(request.build(), HttpResponse.BodyHandlers.ofByteArray())
                .thenApply(this::read)
                .completeOnTimeout(new Answer(Outcome.TIMEOUT, null, "no answer within " + settings.budgetMs() + " ms"),
                        settings.budgetMs(), TimeUnit.MILLISECONDS)
                .exceptionally(e -> {
                    Throwable c = e.getCause() != null ? e.getCause() : e;
                    return new Answer(c instanceof java.net.http.HttpTimeoutException ? Outcome.TIMEOUT : Outcome.ERROR,
                            null, c.getClass().getSimpleName() + ": " + c.getMessage());
                });
        return answer.thenApply(this::account);
    }

    private Answer read(HttpResponse<byte[]> response) {
        int status = response.statusCode();
        if (status == 200) {
            try {
                return new Answer(Outcome.TEACHER, Codecs.TEACHER_ANSWER.decode(response.body()), "");
            } catch (PayloadException e) {
                return new Answer(Outcome.ERROR, null, e.getMessage());
            }
        }
        if (status == 429) {
            long retryMs = response.headers().firstValue("X-Retry-After-Ms").map(Long::parseLong)
                    .or(() -> response.headers().firstValue("Retry-After").map(s -> Long.parseLong(s) * 1000))
                    .orElse(1000L);
            return new Answer(Outcome.OVERLOADED, null, "teacher overloaded, retry after " + retryMs + " ms", retryMs);
        }
        if (status == 504) {
            return new Answer(Outcome.TIMEOUT, null, "the cloud's deadline passed");
        }
        return new Answer(Outcome.ERROR, null, "teacher endpoint answered " + status);
    }

    private Answer account(Answer a) {
        long now = System.nanoTime();
        counts.get(a.outcome()).incrementAndGet();
        switch (a.outcome()) {
            case TEACHER -> breaker.success();
            case OVERLOADED -> breaker.overloaded(now, TimeUnit.MILLISECONDS.toNanos(a.retryAfterMs()));
            case TIMEOUT, ERROR -> breaker.failure(now);
            default -> { }
        }
        return a;
    }

    private CompletableFuture<Answer> done(Answer a) {
        counts.get(a.outcome()).incrementAndGet();
        return CompletableFuture.completedFuture(a);
    }

    /** How many asks ended each way. */
    public Map<Outcome, Long> counts() {
        Map<Outcome, Long> out = new EnumMap<>(Outcome.class);
        counts.forEach((k, v) -> out.put(k, v.get()));
        return out;
    }

    /** The breaker's state. */
    public CircuitBreaker.State breakerState() {
        return breaker.state();
    }

    /** How many times the breaker opened. */
    public long breakerOpened() {
        return breaker.timesOpened();
    }
}
