package io.tandem.fleet.cloud;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** The cloud teacher's REST API as the simulator reads it: the same calls an operator's tools make. */
public final class CloudApi {

    private final String base;
    private final ObjectMapper json = new ObjectMapper();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    /** A client of the service at {@code base}, e.g. {@code http://127.0.0.1:8080}. */
    public CloudApi(String base) {
        this.base = base;
    }

    /** The registered versions of a model, oldest first. */
    public List<String> versions(String modelId) {
        List<String> v = new ArrayList<>();
        get("/api/models").path(modelId).forEach(n -> v.add(n.asText()));
        return v;
    }

    /** The manifest of one version. */
    public JsonNode manifest(String modelId, String version) {
        return get("/api/models/" + modelId + "/" + version + "/manifest");
    }

    /** Every device the cloud has heard from. */
    public JsonNode fleet() {
        return get("/api/fleet");
    }

    /** Devices that acknowledged {@code version} as active. */
    public Set<String> ackedBy(String version) {
        return ackedBy(fleet(), version);
    }

    /** Devices in a fleet view that acknowledged {@code version} as active. */
    public static Set<String> ackedBy(JsonNode fleet, String version) {
        Set<String> ids = new HashSet<>();
        for (JsonNode d : fleet) {
            if ("ACTIVE".equals(d.path("deploy_status").path(version).asText())) {
                ids.add(d.path("device").asText());
            }
        }
        return ids;
    }

    /** The service's counters. */
    public JsonNode stats() {
        return get("/api/stats");
    }

    private JsonNode get(String path) {
        String url = base + path;
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10))
                    .GET().build(), HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200) {
                throw new IllegalStateException("GET " + url + " answered " + r.statusCode());
            }
            return json.readTree(r.body());
        } catch (IOException e) {
            throw new UncheckedIOException("GET " + url + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
