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

    /** The cloud's current model-signing public key (base64 X.509), as devices pin it. */
    public String signingKey() {
        JsonNode keys = get("/api/keys");
        return keys.path("keys").path(keys.path("current").asText()).asText();
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

    /** Up to {@code limit} samples the cloud wants a person to label. */
    public JsonNode labelQueue(int limit) {
        return get("/api/labels/queue?limit=" + limit);
    }

    /** Posts a person's label for a sample. */
    public JsonNode postLabel(String key, int label, String annotator) {
        return send("POST", "/api/labels", json.createObjectNode().put("key", key).put("label", label)
                .put("annotator", annotator).toString());
    }

    /** The retraining status. */
    public JsonNode retrain() {
        return get("/api/retrain");
    }

    /** The retrain queue's runs, newest first: who trained what, and how it ended. */
    public JsonNode pipelineRuns() {
        return get("/api/v1/pipeline-runs?limit=1000");
    }

    /** The drift score of every group. */
    public JsonNode drift() {
        return get("/api/drift");
    }

    /** Adds a retrain trigger in Sedna's shape. */
    public JsonNode addTrigger(String metric, String operator, double threshold, int checkPeriodSeconds) {
        return send("POST", "/api/triggers", json.createObjectNode().put("metric", metric).put("operator", operator)
                .put("threshold", threshold).put("checkPeriod", checkPeriodSeconds).toString());
    }

    /** The artifact of a registered model version. */
    public byte[] artifact(String modelId, String version) {
        String url = base + "/api/models/" + modelId + "/" + version + "/artifact";
        try {
            HttpResponse<byte[]> r = http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30))
                    .GET().build(), HttpResponse.BodyHandlers.ofByteArray());
            if (r.statusCode() != 200) {
                throw new IllegalStateException("GET " + url + " answered " + r.statusCode());
            }
            return r.body();
        } catch (IOException e) {
            throw new UncheckedIOException("GET " + url + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Every model id with its versions. */
    public JsonNode models() {
        return get("/api/models");
    }

    /** The service's counters. */
    public JsonNode stats() {
        return get("/api/stats");
    }

    private JsonNode get(String path) {
        return send("GET", path, null);
    }

    private JsonNode send(String method, String path, String body) {
        String url = base + path;
        try {
            HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10));
            request = body == null ? request.GET() : request.header("Content-Type", "application/json")
                    .method(method, HttpRequest.BodyPublishers.ofString(body));
            HttpResponse<String> r = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200) {
                throw new IllegalStateException(method + " " + url + " answered " + r.statusCode() + ": " + r.body());
            }
            return json.readTree(r.body());
        } catch (IOException e) {
            throw new UncheckedIOException(method + " " + url + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
