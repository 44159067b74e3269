package io.tandem.cloud.api.v1;

import io.tandem.cloud.api.TeacherResource;
import jakarta.ws.rs.Path;

/** Joint inference under {@code /api/v1/teacher}: a device's frame answered by the teacher, as {@link TeacherResource}. */
@Path("/api/v1/teacher")
public class TeacherV1Resource extends TeacherResource {
}
