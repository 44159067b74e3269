package io.tandem.fleet.scenario;

import io.tandem.proto.Topics;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A drift scenario: device groups (sites), each seeing frames through its own distribution, a timeline of
 * drift events, and the budgets the loop works under. Ground truth stays inside the scenario; the loop
 * sees it only through the simulated annotator. Written by users as JSON ({@link ScenarioFile}).
 *
 * @param name the scenario's name
 * @param description what it shows, for the report
 * @param seed seed of every random choice (which frames, noise)
 * @param rounds rounds to run, 1..100
 * @param framesPerDevicePerRound frames each device answers in one round, 1..100,000
 * @param evalFramesPerGroup held-out frames per group for measuring models, 100..5,000
 * @param distributions the distributions by name
 * @param groups the sites
 * @param timeline drift events, by round
 * @param budgets what the loop may spend
 */
public record Scenario(String name, String description, long seed, int rounds, int framesPerDevicePerRound,
        int evalFramesPerGroup, Map<String, Distribution> distributions, List<Group> groups, List<DriftEvent> timeline,
        Budgets budgets) {

    /**
     * One site.
     *
     * @param name group id, one topic level
     * @param devices devices in it, 1..1000
     * @param distribution the distribution it starts with
     */
    public record Group(String name, int devices, String distribution) {
    }

    /**
     * From round {@code round} on, {@code group} sees {@code distribution}.
     *
     * @param round the first round with the new distribution, 0-based
     * @param group the group that drifts
     * @param distribution what it sees from then on
     */
    public record DriftEvent(int round, String group, String distribution) {
    }

    /**
     * What the loop may spend.
     *
     * @param uploadFraction share of frames a device may upload, (0, 1]
     * @param auditFraction share of frames uploaded at random regardless of confidence, [0, uploadFraction]
     * @param humanLabelsPerRound labels the simulated annotator gives per round, 0..100,000
     */
    public record Budgets(double uploadFraction, double auditFraction, int humanLabelsPerRound) {
        /** Checks the ranges. */
        public Budgets {
            require(uploadFraction > 0 && uploadFraction <= 1, "budgets.upload_fraction must be in (0, 1], got "
                    + uploadFraction);
            require(auditFraction >= 0 && auditFraction <= uploadFraction,
                    "budgets.audit_fraction must be in [0, upload_fraction], got " + auditFraction);
            require(humanLabelsPerRound >= 0 && humanLabelsPerRound <= 100_000,
                    "budgets.human_labels_per_round must be in 0..100000, got " + humanLabelsPerRound);
        }
    }

    /** Checks every value and every reference, naming what is wrong. */
    public Scenario {
        require(name != null && !name.isBlank(), "a scenario needs a name");
        require(rounds >= 1 && rounds <= 100, "rounds must be in 1..100, got " + rounds);
        require(framesPerDevicePerRound >= 1 && framesPerDevicePerRound <= 100_000,
                "frames_per_device_per_round must be in 1..100000, got " + framesPerDevicePerRound);
        require(evalFramesPerGroup >= 100 && evalFramesPerGroup <= 5000,
                "eval_frames_per_group must be in 100..5000, got " + evalFramesPerGroup);
        distributions = Map.copyOf(new LinkedHashMap<>(distributions));
        groups = List.copyOf(groups);
        timeline = List.copyOf(timeline);
        require(!groups.isEmpty(), "a scenario needs at least one group");
        Set<String> names = new HashSet<>();
        for (Group g : groups) {
            try {
                Topics.requireId("group name", g.name());
            } catch (IllegalArgumentException e) {
                throw new ScenarioException(e.getMessage());
            }
            require(names.add(g.name()), "group " + g.name() + " is named twice");
            require(g.devices() >= 1 && g.devices() <= 1000, "group " + g.name() + ": devices must be in 1..1000, got "
                    + g.devices());
            require(distributions.containsKey(g.distribution()), "group " + g.name() + " starts with unknown distribution "
                    + g.distribution() + "; known: " + distributions.keySet());
        }
        for (DriftEvent e : timeline) {
            require(names.contains(e.group()), "timeline: unknown group " + e.group() + "; known: " + names);
            require(distributions.containsKey(e.distribution()), "timeline: unknown distribution " + e.distribution()
                    + "; known: " + distributions.keySet());
            require(e.round() >= 0 && e.round() < rounds, "timeline: round " + e.round() + " is outside 0.."
                    + (rounds - 1));
        }
        require(budgets != null, "a scenario needs budgets");
    }

    /** The distribution {@code group} sees in {@code round}: its start, changed by every event up to then. */
    public Distribution distributionOf(String group, int round) {
        String current = groups.stream().filter(g -> g.name().equals(group)).findFirst()
                .orElseThrow(() -> new ScenarioException("unknown group " + group)).distribution();
        int latest = -1;
        for (DriftEvent e : timeline) {
            if (e.group().equals(group) && e.round() <= round && e.round() >= latest) {
                current = e.distribution();
                latest = e.round();
            }
        }
        return distributions.get(current);
    }

    /** The first round at which {@code group} drifts, or -1 when it never does. */
    public int driftRound(String group) {
        return timeline.stream().filter(e -> e.group().equals(group)).mapToInt(DriftEvent::round).min().orElse(-1);
    }

    /** Devices in all groups. */
    public int devices() {
        return groups.stream().mapToInt(Group::devices).sum();
    }

    static void require(boolean ok, String message) {
        if (!ok) {
            throw new ScenarioException(message);
        }
    }
}
