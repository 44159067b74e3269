package io.tandem.cloud.joint;

import io.tandem.cloud.registry.ModelRegistry;
import io.tandem.cloud.rollout.FleetState;
import io.tandem.proto.ManifestMetrics;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The mix of objects a device's site sees, as the site student it runs learnt it (the student's
 * {@link ManifestMetrics#SITE_LOGIT_SHIFT}): the teacher answers that device's escalations under the same mix,
 * so it stays ahead of the student it taught on that site. A device running a fleet-wide student, or one the
 * cloud has not heard of, gets the teacher as it is.
 */
@ApplicationScoped
public class SiteMixes {

    @Inject
    FleetState fleet;

    @Inject
    ModelRegistry registry;

    /** Shifts by site student version ({@code group/version}); a registered manifest never changes. */
    private final Map<String, float[]> byVersion = new ConcurrentHashMap<>();

    /** The logit shift for {@code deviceId}'s answers: one value per class, or empty for none. */
    public float[] forDevice(String deviceId) {
        return fleet.summary(deviceId).filter(d -> !d.group().isEmpty() && !d.activeVersion().isEmpty())
                .map(d -> byVersion.computeIfAbsent(d.group() + "/" + d.activeVersion(),
                        k -> registry.manifest(ModelRegistry.studentId(d.group()), d.activeVersion())
                                .map(ManifestMetrics::siteLogitShift).orElse(new float[0])))
                .orElse(new float[0]);
    }
}
