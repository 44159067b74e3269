package io.tandem.cloud.api;

import io.tandem.proto.v1.ModelManifest;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** The model registry over HTTP as earlier releases read it: what is registered, and each version's files. */
@Path("/api/models")
public class ModelsResource extends ModelFilesResource {

    /** Every model id with its versions. */
    @GET
    @Produces(MediaType.APPLICATION_JSON)
    public Map<String, List<String>> list() {
        Map<String, List<String>> out = new TreeMap<>();
        for (String id : registry.modelIds()) {
            out.put(id, registry.versions(id).stream().map(ModelManifest::getVersion).toList());
        }
        return out;
    }
}
