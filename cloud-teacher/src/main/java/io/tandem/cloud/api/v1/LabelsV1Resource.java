package io.tandem.cloud.api.v1;

import io.tandem.cloud.api.LabelsResource;
import jakarta.ws.rs.Path;

/** The annotator's endpoints under {@code /api/v1/labels}: the label queue and posting labels, as {@link LabelsResource}. */
@Path("/api/v1/labels")
public class LabelsV1Resource extends LabelsResource {
}
