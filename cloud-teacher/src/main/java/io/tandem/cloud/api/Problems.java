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
