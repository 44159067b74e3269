package io.tandem.cloud.lineage;

import io.tandem.cloud.registry.ModelRegistry;
import io.tandem.cloud.rollout.FleetState;
import io.tandem.proto.v1.ModelManifest;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The registry's families read as lineage: each teacher and student version with its parents, its data by
 * source, its metrics per site and the devices that run it now (from the fleet state); and two versions
 * compared.
 */
@ApplicationScoped
public class Lineage {

    @Inject
    ModelRegistry registry;

    @Inject
    FleetState fleet;

    /** Every family, teachers first, then students by model id, each version oldest first. */
    public List<ModelFamily> families() {
        Map<String, List<String>> running = fleet.devicesByActiveVersion();
        List<ModelFamily> out = new ArrayList<>();
        List<String> ids = new ArrayList<>(registry.modelIds());
        ids.sort((x, y) -> x.equals(ModelRegistry.TEACHER_ID) ? -1 : y.equals(ModelRegistry.TEACHER_ID) ? 1
                : x.compareTo(y));
        for (String id : ids) {
            List<ModelVersionView> versions = registry.versions(id).stream().map(m -> view(m, running)).toList();
            if (versions.isEmpty()) {
                continue;
            }
            ModelVersionView first = versions.get(0);
            out.add(new ModelFamily(id, first.role(), first.group(), versions,
                    versions.stream().mapToInt(v -> v.runningOn().size()).sum()));
        }
        return out;
    }

    /** One version, or empty when the registry has no such version. */
    public Optional<ModelVersionView> version(String modelId, String version) {
        return registry.manifest(modelId, version).map(m -> view(m, fleet.devicesByActiveVersion()));
    }

    /** Two versions compared; empty when either is not registered. */
    public Optional<VersionComparison> compare(String idA, String versionA, String idB, String versionB) {
        Optional<ModelManifest> a = registry.manifest(idA, versionA);
        Optional<ModelManifest> b = registry.manifest(idB, versionB);
        if (a.isEmpty() || b.isEmpty()) {
            return Optional.empty();
        }
        Map<String, List<String>> running = fleet.devicesByActiveVersion();
        return Optional.of(new VersionComparison(view(a.get(), running), view(b.get(), running),
                relation(a.get(), b.get()), changes(a.get().getMetricsMap(), b.get().getMetricsMap()),
                changes(toDouble(a.get().getDataBySourceMap()), toDouble(b.get().getDataBySourceMap()))));
    }

    private static Map<String, Double> toDouble(Map<String, Long> m) {
        Map<String, Double> out = new TreeMap<>();
        m.forEach((k, v) -> out.put(k, v.doubleValue()));
        return out;
    }

    private static List<VersionComparison.Change> changes(Map<String, Double> a, Map<String, Double> b) {
        Set<String> names = new TreeSet<>(a.keySet());
        names.addAll(b.keySet());
        List<VersionComparison.Change> out = new ArrayList<>();
        for (String n : names) {
            Double x = a.get(n);
            Double y = b.get(n);
            out.add(new VersionComparison.Change(n, x, y, x == null || y == null ? null : y - x));
        }
        return out;
    }

    private String relation(ModelManifest a, ModelManifest b) {
        if (a.getModelId().equals(b.getModelId()) && a.getVersion().equals(b.getVersion())) {
            return "same";
        }
        if (ancestors(b).contains(key(a))) {
            return "descendant";
        }
        if (ancestors(a).contains(key(b))) {
            return "ancestor";
        }
        boolean aTeacher = ModelRegistry.TEACHER_ID.equals(a.getModelId());
        boolean bTeacher = ModelRegistry.TEACHER_ID.equals(b.getModelId());
        if (aTeacher && !bTeacher && b.getParentTeacherVersion().equals(a.getVersion())) {
            return "taught-by";
        }
        if (bTeacher && !aTeacher && a.getParentTeacherVersion().equals(b.getVersion())) {
            return "teacher-of";
        }
        if (!aTeacher && !bTeacher && !a.getParentTeacherVersion().isEmpty()
                && a.getParentTeacherVersion().equals(b.getParentTeacherVersion())) {
            return "siblings";
        }
        return "unrelated";
    }

    /** The earlier versions of a manifest's own family, following parent_version, bounded against cycles. */
    private Set<String> ancestors(ModelManifest m) {
        Set<String> out = new HashSet<>();
        ModelManifest at = m;
        while (!at.getParentVersion().isEmpty() && out.size() < 10_000) {
            String parent = at.getParentVersion();
            if (!out.add(at.getModelId() + ":" + parent)) {
                break;
            }
            Optional<ModelManifest> next = registry.manifest(at.getModelId(), parent);
            if (next.isEmpty()) {
                break;
            }
            at = next.get();
        }
        return out;
    }

    private static String key(ModelManifest m) {
        return m.getModelId() + ":" + m.getVersion();
    }

    private static ModelVersionView view(ModelManifest m, Map<String, List<String>> running) {
        boolean teacher = ModelRegistry.TEACHER_ID.equals(m.getModelId());
        return new ModelVersionView(m.getModelId(), m.getVersion(), m.getRole(), m.getDeviceGroup(),
                m.getArchitecture(), m.getParentTeacherVersion(), m.getParentVersion(), m.getQuantization(),
                m.getQuantizationReason(), m.getCreatedAtMs(), m.getParameters(), m.getBaseTrainingSamples(),
                m.getEdgeSamples(), new TreeMap<>(m.getDataBySourceMap()), new TreeMap<>(m.getMetricsMap()),
                teacher ? List.of() : running.getOrDefault(m.getVersion(), List.of()));
    }
}
