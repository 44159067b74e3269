package io.tandem.cloud.api;

import io.tandem.cloud.registry.ModelRegistry;
import io.tandem.distill.manifest.ModelArtifacts;
import io.tandem.proto.v1.ModelManifest;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.NotFoundException;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

/**
 * One registered version's files over HTTP: its manifest (JSON), its artifact and its FP32 fallback, what devices
 * download (the device role). Served under {@code /api/v1/models} and, for devices of earlier releases, under
 * {@code /api/models}.
 */
public abstract class ModelFilesResource {

    @Inject
    protected ModelRegistry registry;

    /** The manifest of one version, as JSON. */
    @GET
    @Path("/{id}/{version}/manifest")
    @Produces(MediaType.APPLICATION_JSON)
    public String manifest(@PathParam("id") String id, @PathParam("version") String version) {
        return ModelArtifacts.toJson(registry.manifest(id, version)
                .orElseThrow(() -> new NotFoundException("no model " + id + " " + version)));
    }

    /** The FP32 file a device may fall back to when the version ships in INT8. */
    @GET
    @Path("/{id}/{version}/fallback")
    @Produces(MediaType.APPLICATION_OCTET_STREAM)
    public Response fallback(@PathParam("id") String id, @PathParam("version") String version) {
        return download(registry.fallback(id, version), "no FP32 fallback for model " + id + " " + version,
                id + "-" + version + "-fp32.onnx");
    }

    /** The ONNX artifact of one version. */
    @GET
    @Path("/{id}/{version}/artifact")
    @Produces(MediaType.APPLICATION_OCTET_STREAM)
    public Response artifact(@PathParam("id") String id, @PathParam("version") String version) {
        return download(registry.artifact(id, version), "no model " + id + " " + version, id + "-" + version + ".onnx");
    }

    /** The file as an attachment named {@code name}, or 404 saying {@code missing}. */
    private static Response download(java.util.Optional<java.nio.file.Path> found, String missing, String name) {
        java.nio.file.Path file = found.orElseThrow(() -> new NotFoundException(missing));
        return Response.ok(file.toFile()).header("Content-Disposition", "attachment; filename=\"" + name + "\"").build();
    }
}
