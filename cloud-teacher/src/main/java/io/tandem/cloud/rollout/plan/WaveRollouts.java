package io.tandem.cloud.rollout.plan;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.tandem.cloud.config.TandemConfig;
import io.tandem.cloud.registry.ModelRegistry;
import io.tandem.cloud.retrain.StudentPromoted;
import io.tandem.proto.v1.ModelManifest;
import io.tandem.cloud.rollout.FleetState;
import io.tandem.cloud.rollout.FleetState.VersionReport;
import io.tandem.cloud.rollout.RolloutController;
import io.tandem.cloud.rollout.plan.RolloutPlans.DeviceState;
import io.tandem.cloud.rollout.plan.RolloutPlans.Plan;
import io.tandem.cloud.rollout.plan.RolloutPlans.State;
import io.tandem.cloud.rollout.plan.RolloutPlans.Wave;
import io.tandem.cloud.rollout.plan.RolloutPlans.WaveState;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * Carries rollout plans out, wave by wave. Each tick ({@code tandem.rollout.tick-ms}) takes every running
 * plan from the database: a pending wave gets its signed deploy commands (one per device, on the device's
 * own topic); a started wave is judged ({@link WaveJudge}) on what its devices report; a tripped condition
 * stops the plan and sends every device it updated back to the version it ran before. The database holds all
 * of it, so a restarted service goes on where the last one stopped.
 */
@ApplicationScoped
public class WaveRollouts {

    private static final Logger LOG = Logger.getLogger(WaveRollouts.class);

    @Inject
    TandemConfig config;

    @Inject
    RolloutPlans plans;

    @Inject
    FleetState fleet;

    @Inject
    RolloutController deployer;

    @Inject
    ModelRegistry registry;

    private ScheduledExecutorService ticker;

    void start(@Observes StartupEvent event) {
        if (!config.fleet().enabled()) {
            return;
        }
        ticker = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "wave-rollouts");
            t.setDaemon(true);
            return t;
        });
        ticker.scheduleWithFixedDelay(this::tickSafely, config.rollout().tickMs(), config.rollout().tickMs(),
                TimeUnit.MILLISECONDS);
    }

    void stop(@Observes ShutdownEvent event) {
        if (ticker != null) {
            ticker.shutdownNow();
        }
    }

    /**
     * Starts a plan: its target's devices (those the cloud has heard from), cut into waves in id order.
     *
     * @throws PlanSpec.Invalid naming the field when the model is not a registered student, or the target
     *     has no device
     */
    public Plan submit(PlanSpec request) {
        PlanSpec spec = request.complete(config.rollout().waves(), config.rollout().successThreshold(),
                config.rollout().soakSeconds());
        List<String> target;
        if (spec.devices() != null) {
            Set<String> known = fleet.reports(spec.fleet(), spec.devices(), spec.version()).keySet();
            List<String> unknown = spec.devices().stream().filter(d -> !known.contains(d)).toList();
            if (!unknown.isEmpty()) {
                throw new PlanSpec.Invalid("devices", "unknown in fleet " + spec.fleet() + ": "
                        + unknown.subList(0, Math.min(5, unknown.size())) + (unknown.size() > 5 ? " and "
                        + (unknown.size() - 5) + " more" : ""));
            }
            target = new ArrayList<>(new java.util.LinkedHashSet<>(spec.devices()));
        } else {
            target = new ArrayList<>(fleet.devicesOf(spec.fleet(), spec.group()));
            if (spec.group() == null) {
                // As with the fleet's own deploy command, a site's devices keep the student of their site's plan.
                for (String site : plans.groupsWithPlans(spec.fleet())) {
                    target.removeAll(fleet.devicesOf(spec.fleet(), site));
                }
            }
        }
        var manifest = registry.manifest(spec.modelId(), spec.version()).orElseThrow(() -> new PlanSpec.Invalid("version",
                spec.modelId() + " " + spec.version() + " is not registered"));
        if (!"student".equals(manifest.getRole())) {
            throw new PlanSpec.Invalid("modelId", spec.modelId() + " " + spec.version() + " is a " + manifest.getRole()
                    + "; only students go to devices");
        }
        Plan plan = plans.create(spec, Waves.split(target, Waves.parse(spec.waves())));
        LOG.infof("rollout plan %s: %s %s to %s in %d wave%s %s", plan.id(), spec.modelId(), spec.version(),
                plan.target(), plan.waves().size(), plan.waves().size() == 1 ? "" : "s", spec.waves());
        return plan;
    }

    /**
     * Every student the pipeline promotes ships through a plan in {@code tandem.rollout.waves}: a site
     * student to its group, a fleet student to the fleet. With no device heard from yet (the first student,
     * before any device connected), a fleet student goes out as the fleet's retained command instead, which
     * devices read as they connect.
     */
    void onPromoted(@Observes StudentPromoted event) {
        if (!config.rollout().auto()) {
            return;
        }
        ModelManifest m = event.manifest();
        String group = m.getDeviceGroup().isEmpty() ? null : m.getDeviceGroup();
        try {
            submit(new PlanSpec(m.getModelId(), m.getVersion(), config.rollout().fleet(), group, null, null, null, null,
                    null, null));
        } catch (PlanSpec.Invalid e) {
            if (group != null) {
                LOG.warnf("promoted %s %s for group %s: no rollout (%s)", m.getModelId(), m.getVersion(), group,
                        e.getMessage());
                return;
            }
            LOG.infof("promoted %s %s: %s; announcing it as fleet %s's retained command", m.getModelId(), m.getVersion(),
                    e.getMessage(), config.rollout().fleet());
            deployer.deploy(m.getModelId(), m.getVersion(), config.rollout().fleet());
        }
    }

    /** Pauses a running plan: no new wave starts, nothing is judged, until it resumes. */
    public Plan pause(String id) {
        return change(id, State.RUNNING, State.PAUSED, "paused by an operator");
    }

    /** Resumes a paused plan. */
    public Plan resume(String id) {
        return change(id, State.PAUSED, State.RUNNING, "resumed by an operator");
    }

    /** Aborts a running or paused plan and sends the devices it updated back to their previous version. */
    public Plan abort(String id) {
        Plan plan = plans.find(id).orElseThrow(() -> new java.util.NoSuchElementException("no rollout plan " + id));
        if (!plans.transition(id, State.RUNNING, State.ABORTED, "aborted by an operator")
                && !plans.transition(id, State.PAUSED, State.ABORTED, "aborted by an operator")) {
            throw new IllegalStateException("rollout plan " + id + " is " + plan.state() + ": only a running or paused"
                    + " plan can be aborted");
        }
        returnDevices(plan, "aborted by an operator");
        return plans.find(id).orElseThrow();
    }

    private Plan change(String id, State from, State to, String reason) {
        Plan plan = plans.find(id).orElseThrow(() -> new java.util.NoSuchElementException("no rollout plan " + id));
        if (!plans.transition(id, from, to, reason)) {
            throw new IllegalStateException("rollout plan " + id + " is " + plan.state() + ", not " + from);
        }
        return plans.find(id).orElseThrow();
    }

    private void tickSafely() {
        try {
            tick();
        } catch (RuntimeException e) {
            LOG.errorf(e, "rollout plans: tick failed, next in %d ms", config.rollout().tickMs());
        }
    }

    /** One pass over every running plan. */
    synchronized void tick() {
        long listening = fleet.listeningSinceMs();
        if (listening == 0) {
            // Not reading device reports yet (a restart): judging now would count every device as silent.
            return;
        }
        for (String id : plans.ids(State.RUNNING)) {
            plans.find(id).ifPresent(plan -> step(plan, listening));
        }
    }

    private void step(Plan plan, long listeningSinceMs) {
        PlanSpec spec = plan.spec();
        Wave wave = plan.wave();
        if (wave.state() == WaveState.PENDING) {
            Map<String, String> previous = new LinkedHashMap<>();
            Map<String, VersionReport> now = fleet.reportsOnActive(spec.fleet(), wave.deviceIds());
            for (String device : wave.deviceIds()) {
                VersionReport r = now.get(device);
                previous.put(device, r == null ? "" : r.activeVersion());
            }
            plans.waveStarted(plan.id(), wave.index(), previous);
            deployer.deployToDevices(spec.modelId(), spec.version(), spec.fleet(), wave.deviceIds(), spec.group() == null
                    ? "" : spec.group(), plan.id() + "-w" + (wave.index() + 1));
            LOG.infof("rollout plan %s: wave %d of %d started (%d devices)", plan.id(), wave.index() + 1,
                    plan.waves().size(), wave.devices().size());
            return;
        }
        // A device has its whole acknowledgement timeout while this service listens: one that acknowledged while
        // the service was down is heard again from its results and telemetry, not counted as silent.
        WaveJudge.Verdict verdict = WaveJudge.judge(spec, wave.deviceIds(),
                fleet.reports(spec.fleet(), wave.deviceIds(), spec.version()), before(plan),
                Math.max(wave.startedMs(), listeningSinceMs), wave.succeededMs(), System.currentTimeMillis());
        switch (verdict.action()) {
            case WAIT -> {
                if (verdict.succeeded() && wave.succeededMs() == 0) {
                    plans.waveSucceeded(plan.id(), wave.index());
                }
            }
            case ADVANCE -> {
                boolean last = wave.index() == plan.waves().size() - 1;
                String reason = "wave " + (wave.index() + 1) + " done: " + verdict.reason();
                plans.waveFinished(plan.id(), wave.index(), WaveState.DONE, last ? null : wave.index() + 1,
                        State.COMPLETED, last ? "completed; " + reason : reason);
                LOG.infof("rollout plan %s: %s", plan.id(), last ? "completed; " + reason : reason);
                if (last && spec.devices() == null && spec.group() == null) {
                    // Devices that join the fleet later learn the version from the fleet's retained command.
                    deployer.deploy(spec.modelId(), spec.version(), spec.fleet());
                }
            }
            case STOP -> {
                String reason = "wave " + (wave.index() + 1) + " stopped the rollout: " + verdict.reason();
                plans.waveFinished(plan.id(), wave.index(), WaveState.STOPPED, null, State.STOPPED, reason);
                LOG.warnf("rollout plan %s: %s", plan.id(), reason);
                returnDevices(plan, reason);
            }
            default -> throw new IllegalStateException("unknown action " + verdict.action());
        }
    }

    /** What the target's devices reported on the versions they ran before the plan reached them. */
    private List<VersionReport> before(Plan plan) {
        Map<String, List<String>> byVersion = new LinkedHashMap<>();
        Set<String> untouched = new HashSet<>();
        for (Wave w : plan.waves()) {
            for (RolloutPlans.Device d : w.devices()) {
                if (d.previousVersion() != null) {
                    byVersion.computeIfAbsent(d.previousVersion(), v -> new ArrayList<>()).add(d.deviceId());
                } else if (d.state() == DeviceState.WAITING) {
                    untouched.add(d.deviceId());
                }
            }
        }
        List<VersionReport> out = new ArrayList<>();
        byVersion.forEach((version, devices) -> out.addAll(fleet.reports(plan.spec().fleet(), devices, version).values()));
        // Devices still waiting run whatever they ran: compare on that.
        fleet.reportsOnActive(plan.spec().fleet(), untouched).values().stream()
                .filter(r -> !r.activeVersion().isEmpty() && !r.activeVersion().equals(plan.spec().version()))
                .forEach(out::add);
        return out;
    }

    /** Sends every device of a started wave back to the version it ran before, with a freshly signed command. */
    private void returnDevices(Plan plan, String reason) {
        Map<String, List<String>> byVersion = new LinkedHashMap<>();
        List<String> unknown = new ArrayList<>();
        for (Wave w : plan.waves()) {
            for (RolloutPlans.Device d : w.devices()) {
                if (d.state() != DeviceState.SENT) {
                    continue;
                }
                if (d.previousVersion() == null || d.previousVersion().equals(plan.spec().version())) {
                    unknown.add(d.deviceId());
                } else {
                    byVersion.computeIfAbsent(d.previousVersion(), v -> new ArrayList<>()).add(d.deviceId());
                }
            }
        }
        byVersion.forEach((version, devices) -> {
            try {
                deployer.deployToDevices(plan.spec().modelId(), version, plan.spec().fleet(), devices,
                        plan.spec().group() == null ? "" : plan.spec().group(), plan.id() + "-back");
                plans.devices(plan.id(), devices, DeviceState.RETURNED, "back to " + version + ": " + reason);
            } catch (RuntimeException e) {
                LOG.errorf("rollout plan %s: cannot send %d devices back to %s: %s", plan.id(), devices.size(), version,
                        e.getMessage());
            }
        });
        if (!unknown.isEmpty()) {
            plans.devices(plan.id(), unknown, DeviceState.SENT, "no previous version known: left on " + plan.spec().version());
            LOG.warnf("rollout plan %s: %d devices had no previous version to return to: %s", plan.id(), unknown.size(),
                    unknown.subList(0, Math.min(5, unknown.size())));
        }
        LOG.infof("rollout plan %s: %d devices sent back to their previous version", plan.id(),
                byVersion.values().stream().mapToInt(List::size).sum());
    }
}
