package io.tandem.cloud.auth;

import io.tandem.cloud.api.Problems;
import io.tandem.cloud.config.TandemConfig;
import io.tandem.cloud.metrics.Rejections;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.Response;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;

/**
 * Bearer tokens with roles on the REST API. Tokens are configured as {@code ROLE:SHA256} of the token
 * ({@code tandem.auth.tokens}), never in clear. Roles: {@code operator} (everything), {@code device}
 * (artifact downloads and joint inference), {@code reader} (every GET except artifacts), {@code worker} (a
 * retrain worker: claims pipeline runs, reports their progress and results). A request without a
 * known token gets 401, one whose role does not reach gets 403, both as problem+json and counted under
 * {@code api/auth}. {@code GET /api/health} stays open for liveness probes. With no token configured the API
 * is open, and the service says so at start.
 */
@ApplicationScoped
public class ApiAuth {

    private static final Logger LOG = Logger.getLogger(ApiAuth.class);

    /** What a token may do. */
    public enum Role { OPERATOR, DEVICE, READER, WORKER }

    @Inject
    TandemConfig config;

    @Inject
    Rejections rejections;

    private volatile Map<String, Role> byHash;

    private Map<String, Role> tokens() {
        Map<String, Role> t = byHash;
        if (t == null) {
            t = parse(config.auth().tokens().orElse(java.util.List.of()));
            if (t.isEmpty()) {
                LOG.warn("no API token configured (tandem.auth.tokens): the REST API is open to anyone who reaches it");
            }
            byHash = t;
        }
        return t;
    }

    /** Parses {@code ROLE:SHA256} entries, naming a bad one. */
    public static Map<String, Role> parse(java.util.List<String> entries) {
        Map<String, Role> out = new HashMap<>();
        for (String e : entries) {
            int colon = e.indexOf(':');
            String hash = colon < 0 ? "" : e.substring(colon + 1).trim().toLowerCase(Locale.ROOT);
            if (colon < 0 || !hash.matches("[0-9a-f]{64}")) {
                throw new IllegalArgumentException("tandem.auth.tokens entries must be ROLE:SHA256-OF-TOKEN, got '"
                        + e + "'");
            }
            try {
                out.put(hash, Role.valueOf(e.substring(0, colon).trim().toUpperCase(Locale.ROOT)));
            } catch (IllegalArgumentException ex) {
                throw new IllegalArgumentException("tandem.auth.tokens: unknown role '" + e.substring(0, colon)
                        + "', expected operator, device or reader");
            }
        }
        return out;
    }

    /** The sha256 of a token, as the configuration holds it. */
    public static String hash(String token) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(token.getBytes(
                    StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The role a request needs, by method and path; empty for the open health endpoint. */
    static Optional<Role> required(String method, String path) {
        if (path.equals("/api/health")) {
            return Optional.empty();
        }
        if (method.equals("POST") && path.startsWith("/api/v1/pipeline-runs/") && (path.endsWith("/claim")
                || path.endsWith("/progress") || path.endsWith("/result") || path.endsWith("/failure"))) {
            return Optional.of(Role.WORKER);
        }
        boolean artifact = method.equals("GET") && (path.endsWith("/artifact") || path.endsWith("/fallback"));
        if (artifact || (method.equals("POST") && (path.endsWith("/api/teacher/infer")
                || path.endsWith("/api/v1/teacher/infer")))) {
            return Optional.of(Role.DEVICE);
        }
        return Optional.of(method.equals("GET") || method.equals("HEAD") ? Role.READER : Role.OPERATOR);
    }

    static boolean allows(Role held, Role needed) {
        return held == Role.OPERATOR || held == needed;
    }

    @ServerRequestFilter
    Optional<Response> check(ContainerRequestContext request) {
        Map<String, Role> known = tokens();
        if (known.isEmpty()) {
            return Optional.empty();
        }
        String path = request.getUriInfo().getPath();
        Optional<Role> needed = required(request.getMethod(), path.startsWith("/") ? path : "/" + path);
        if (needed.isEmpty()) {
            return Optional.empty();
        }
        String header = request.getHeaderString(HttpHeaders.AUTHORIZATION);
        Role held = header != null && header.startsWith("Bearer ") ? known.get(hash(header.substring(7).trim())) : null;
        if (held == null) {
            return Optional.of(problem(401, "UNAUTHENTICATED", header == null ? "a bearer token is required"
                    : "the bearer token is not known", true));
        }
        if (!allows(held, needed.get())) {
            return Optional.of(problem(403, "FORBIDDEN", "a " + held.name().toLowerCase(Locale.ROOT)
                    + " token may not " + request.getMethod() + " " + path + " (needs " + needed.get().name()
                    .toLowerCase(Locale.ROOT) + ")", false));
        }
        return Optional.empty();
    }

    private Response problem(int status, String reason, String detail, boolean challenge) {
        rejections.reject("api/auth", reason, detail);
        Response r = Problems.response(status, detail);
        return challenge ? Response.fromResponse(r).header(HttpHeaders.WWW_AUTHENTICATE, "Bearer").build() : r;
    }
}
