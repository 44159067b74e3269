package io.tandem.cloud.api.v1;

import io.tandem.cloud.api.ModelFilesResource;
import io.tandem.cloud.api.Problems;
import io.tandem.cloud.lineage.Lineage;
import io.tandem.cloud.lineage.ModelFamily;
import io.tandem.proto.Topics;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.List;

/**
 * Lineage you can query: the teacher and student families with what each version learnt from, its metrics
 * per site and where it runs now; one version; two versions compared; and each version's files
 * ({@code /{id}/{version}/manifest|artifact|fallback}, the artifact what deploy commands name). Reads need the
 * reader role, downloads the device role.
 */
@Path("/api/v1/models")
@Produces(MediaType.APPLICATION_JSON)
public class ModelLineageResource extends ModelFilesResource {

    @Inject
    Lineage lineage;

    /** Every family, teachers first, each version oldest first. */
    @GET
    public List<ModelFamily> families() {
        return lineage.families();
    }

    /**
     * Two versions side by side, each named {@code modelId:version} ({@code ?a=student:v1&b=student.harbour:harbour-v2}).
     */
    @GET
    @Path("/compare")
    public Response compare(@QueryParam("a") String a, @QueryParam("b") String b) {
        String[] x = split(a);
        if (x == null) {
            return Problems.invalid("a", "a must name a version as modelId:version, got: " + a);
        }
        String[] y = split(b);
        if (y == null) {
            return Problems.invalid("b", "b must name a version as modelId:version, got: " + b);
        }
        return lineage.compare(x[0], x[1], y[0], y[1]).map(c -> Response.ok(c).build())
                .orElseGet(() -> Problems.response(404, "no model " + a + " or no model " + b + " in the registry"));
    }

    /** One version of one family. */
    @GET
    @Path("/{id}/{version}")
    public Response version(@PathParam("id") String id, @PathParam("version") String version) {
        return lineage.version(id, version).map(v -> Response.ok(v).build())
                .orElseGet(() -> Problems.response(404, "no model " + id + " " + version));
    }

    private static String[] split(String ref) {
        if (ref == null) {
            return null;
        }
        int colon = ref.indexOf(':');
        if (colon < 0) {
            return null;
        }
        String id = ref.substring(0, colon);
        String version = ref.substring(colon + 1);
        try {
            Topics.requireId("model id", id);
            Topics.requireId("version", version);
        } catch (IllegalArgumentException e) {
            return null;
        }
        return new String[] {id, version};
    }
}
