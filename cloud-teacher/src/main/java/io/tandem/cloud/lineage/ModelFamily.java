package io.tandem.cloud.lineage;

import java.util.List;

/**
 * The versions of one model id, oldest first: the teacher family, the global students, or one site's students.
 *
 * @param devicesRunning devices that run any version of this family now
 */
public record ModelFamily(String modelId, String role, String group, List<ModelVersionView> versions,
        int devicesRunning) {
}
