package io.tandem.cloud.api;

import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.Response;
import java.util.LinkedHashMap;
import java.util.Map;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

/**
 * Turns a refused request into an RFC 9457 problem body ({@code application/problem+json}) that says what
 * was wrong, instead of an empty 4xx.
 */
public class Problems {

    /** Media type of problem bodies. */
    public static final String PROBLEM_JSON = "application/problem+json";

    @ServerExceptionMapper
    Response toProblem(WebApplicationException e) {
        return response(e.getResponse().getStatus(), e.getMessage());
    }

    /**
     * Bean Validation's refusals of a request body or parameter: 400 with each field named
     * ({@code invalid_params}, as in RFC 9457's example), e.g. {@code stop.maxFailedFraction}.
     */
    @ServerExceptionMapper
    Response toProblem(jakarta.validation.ConstraintViolationException e) {
        java.util.List<Map<String, Object>> params = new java.util.ArrayList<>();
        for (var v : e.getConstraintViolations()) {
            params.add(Map.of("name", field(v.getPropertyPath()), "reason", v.getMessage()));
        }
        params.sort(java.util.Comparator.comparing(m -> (String) m.get("name")));
        Response r = response(400, params.stream().map(m -> m.get("name") + ": " + m.get("reason"))
                .collect(java.util.stream.Collectors.joining("; ")));
        @SuppressWarnings("unchecked")
        Map<String, Object> body = (Map<String, Object>) r.getEntity();
        body.put("invalid_params", params);
        return r;
    }

    /** A 400 problem for one field of the request body. */
    public static Response invalid(String field, String detail) {
        Response r = response(400, detail);
        @SuppressWarnings("unchecked")
        Map<String, Object> body = (Map<String, Object>) r.getEntity();
        body.put("invalid_params", java.util.List.of(Map.of("name", field, "reason", detail)));
        return r;
    }

    /**
     * A violation's path without the method and parameter names: {@code submit.plan.waves[1]} is {@code waves[1]};
     * {@code claim.worker} (a query parameter) is {@code worker}.
     */
    static String field(jakarta.validation.Path path) {
        StringBuilder out = new StringBuilder();
        String parameter = null;
        for (jakarta.validation.Path.Node n : path) {
            if (n.getKind() == jakarta.validation.ElementKind.PARAMETER) {
                parameter = n.getName();
                continue;
            }
            if (n.getKind() == jakarta.validation.ElementKind.METHOD) {
                continue;
            }
            if (n.getKind() == jakarta.validation.ElementKind.CONTAINER_ELEMENT) {
                out.append('[').append(n.getIndex() == null ? "" : n.getIndex()).append(']');
                continue;
            }
            if (n.getName() == null) {
                continue;
            }
            if (n.getIndex() != null && out.length() > 0 && n.getKind() == jakarta.validation.ElementKind.PROPERTY) {
                out.append('[').append(n.getIndex()).append(']');
            }
            out.append(out.length() == 0 ? "" : ".").append(n.getName());
        }
        // A violation of a whole parameter (a query parameter such as worker) names the parameter; one of a
        // request body's fields names the field.
        return out.length() > 0 ? out.toString() : parameter != null ? parameter : "body";
    }

    /** A problem response with {@code status} and what was wrong. */
    public static Response response(int status, String detail) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("type", "about:blank");
        body.put("title", Response.Status.fromStatusCode(status) == null ? "Error"
                : Response.Status.fromStatusCode(status).getReasonPhrase());
        body.put("status", status);
        body.put("detail", detail);
        return Response.status(status).type(PROBLEM_JSON).entity(body).build();
    }
}
