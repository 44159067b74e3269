package io.tandem.cloud.joint;

import io.tandem.cloud.registry.ModelRegistered;
import io.tandem.cloud.registry.ModelRegistry;
import io.tandem.cloud.rollout.FleetState;
import io.tandem.proto.ManifestMetrics;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The mix of objects a device's site sees, as the site's latest student learnt it from the site's random audits
 * (its {@link ManifestMetrics#SITE_LOGIT_SHIFT}): the teacher answers every device of that site under the same
 * mix, whichever student the device runs, so it stays ahead of the students it taught there. A device of a site
 * with no such student, or one the cloud has not heard of, gets the teacher as it is.
 */
@ApplicationScoped
public class SiteMixes {

    @Inject
    FleetState fleet;

    @Inject
    ModelRegistry registry;

    /** Shift by group, dropped whenever a model is registered (a new site student may bring a new estimate). */
    private final Map<String, float[]> byGroup = new ConcurrentHashMap<>();

    /** The logit shift for {@code deviceId}'s answers: one value per class, or empty for none. */
    public float[] forDevice(String deviceId) {
        return fleet.summary(deviceId).filter(d -> !d.group().isEmpty()).map(d -> forGroup(d.group()))
                .orElse(new float[0]);
    }

    /** The logit shift of {@code group}'s latest site student: one value per class, or empty for none. */
    public float[] forGroup(String group) {
        return byGroup.computeIfAbsent(group, g -> registry.latest(ModelRegistry.studentId(g))
                .map(ManifestMetrics::siteLogitShift).orElse(new float[0]));
    }

    void onRegistered(@Observes ModelRegistered event) {
        byGroup.clear();
    }
}
