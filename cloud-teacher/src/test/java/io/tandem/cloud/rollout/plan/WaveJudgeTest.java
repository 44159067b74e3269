package io.tandem.cloud.rollout.plan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tandem.cloud.rollout.FleetState.VersionReport;
import io.tandem.cloud.rollout.plan.WaveJudge.Action;
import io.tandem.cloud.rollout.plan.WaveJudge.Verdict;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class WaveJudgeTest {

    private static final List<String> WAVE = List.of("a", "b", "c", "d");

    private static PlanSpec plan(double maxFailed, int soakSeconds) {
        return new PlanSpec("student", "v2", "f", null, null, List.of("50%", "100%"), 0.75, soakSeconds, 60,
                new StopConditions(maxFailed, 0.10, 0.05, 1.0, 100, 0.10)).complete(List.of("100%"), 0.9, 0);
    }

    private static VersionReport on(String active, String status, long frames, long escalated, long labelled,
            long correct, float p95) {
        return new VersionReport(active, status, frames, escalated, labelled, correct, p95, Float.NaN, 0, 0);
    }

    private static Map<String, VersionReport> allActive(long frames, long escalated, long labelled, long correct,
            float p99) {
        Map<String, VersionReport> m = new HashMap<>();
        WAVE.forEach(d -> m.put(d, on("v2", "ACTIVE", frames, escalated, labelled, correct, p99)));
        return m;
    }

    private static final List<VersionReport> BEFORE = List.of(on("v1", "ACTIVE", 1000, 100, 500, 400, 2.0f),
            on("v1", "ACTIVE", 1000, 100, 500, 400, 2.0f));

    @Test
    void failuresOverTheThresholdStopNamingTheirKind() {
        Map<String, VersionReport> now = allActive(0, 0, 0, 0, Float.NaN);
        now.put("a", on("v1", "FAILED_SMOKE", 0, 0, 0, 0, Float.NaN));
        Verdict v = WaveJudge.judge(plan(0.0, 0), WAVE, now, BEFORE, 0, 0, 1000);
        assertEquals(Action.STOP, v.action());
        assertTrue(v.reason().contains("1 of 4 devices failed {FAILED_SMOKE=1}"), v.reason());
        // The same failure under a 25% allowance: three of four run v2, which is the 75% threshold.
        assertEquals(Action.ADVANCE, WaveJudge.judge(plan(0.25, 0), WAVE, now, BEFORE, 0, 0, 1000).action());
    }

    @Test
    void silentDevicesCountAsFailedOnlyAfterTheAckTimeout() {
        Map<String, VersionReport> now = new HashMap<>(allActive(0, 0, 0, 0, Float.NaN));
        now.remove("a");
        now.remove("b");
        assertEquals(Action.WAIT, WaveJudge.judge(plan(0.25, 0), WAVE, now, BEFORE, 0, 0, 59_000).action());
        Verdict late = WaveJudge.judge(plan(0.25, 0), WAVE, now, BEFORE, 0, 0, 61_000);
        assertEquals(Action.STOP, late.action());
        assertTrue(late.reason().contains("2 without an acknowledgement after 60 s"), late.reason());
    }

    @Test
    void lowerAuditAccuracyStopsOnceEnoughFramesAreLabelled() {
        // 0.80 before; 0.70 now is 10 points down, over the 5 allowed.
        assertEquals(Action.STOP, WaveJudge.judge(plan(0, 0), WAVE, allActive(100, 10, 50, 35, 2f), BEFORE, 0, 0, 1)
                .action());
        // With only 40 labelled frames (under minFrames 100) nothing is judged yet.
        assertEquals(Action.ADVANCE, WaveJudge.judge(plan(0, 0), WAVE, allActive(100, 10, 10, 7, 2f), BEFORE, 0, 0, 1)
                .action());
    }

    @Test
    void moreEscalationsOrSlowerAnswersStop() {
        Verdict escalations = WaveJudge.judge(plan(0, 0), WAVE, allActive(100, 25, 0, 0, 2f), BEFORE, 0, 0, 1);
        assertEquals(Action.STOP, escalations.action());
        assertTrue(escalations.reason().startsWith("escalation rate rose from 0.100 to 0.250"), escalations.reason());
        Verdict slow = WaveJudge.judge(plan(0, 0), WAVE, allActive(100, 10, 0, 0, 4.5f), BEFORE, 0, 0, 1);
        assertEquals(Action.STOP, slow.action());
        assertTrue(slow.reason().contains("p95 latency rose from 2.00 ms to 4.50 ms"), slow.reason());
        // The same latency over 40 frames, the first after the swap, is not judged yet.
        assertEquals(Action.ADVANCE, WaveJudge.judge(plan(0, 0), WAVE, allActive(10, 1, 0, 0, 4.5f), BEFORE, 0, 0, 1)
                .action());
    }

    @Test
    void devicesThatRestartOnTheNewVersionStopItAtOnce() {
        Map<String, VersionReport> now = allActive(0, 0, 0, 0, Float.NaN);
        now.put("a", new VersionReport("v2", "ACTIVE", 0, 0, 0, 0, Float.NaN, Float.NaN, 2, 0));
        Verdict v = WaveJudge.judge(plan(0.5, 0), WAVE, now, BEFORE, 0, 0, 1);
        assertEquals(Action.STOP, v.action(), "one device in four restarted, none before: 25 points, over 10");
        assertTrue(v.reason().startsWith("25% of the wave's devices restarted on the new version against 0%"),
                v.reason());
        // The previous version restarted as often: no rise.
        List<VersionReport> restless = List.of(new VersionReport("v1", "ACTIVE", 1000, 100, 500, 400, 2f, 3f, 1, 0),
                on("v1", "ACTIVE", 1000, 100, 500, 400, 2.0f), on("v1", "ACTIVE", 1000, 100, 500, 400, 2.0f),
                on("v1", "ACTIVE", 1000, 100, 500, 400, 2.0f));
        assertEquals(Action.ADVANCE, WaveJudge.judge(plan(0.5, 0), WAVE, now, restless, 0, 0, 1).action());
    }

    @Test
    void aSucceededWaveSoaksBeforeTheNextStarts() {
        Map<String, VersionReport> now = allActive(100, 10, 100, 80, 2f);
        Verdict first = WaveJudge.judge(plan(0, 30), WAVE, now, BEFORE, 0, 0, 5_000);
        assertEquals(Action.WAIT, first.action());
        assertTrue(first.succeeded());
        assertEquals(Action.WAIT, WaveJudge.judge(plan(0, 30), WAVE, now, BEFORE, 0, 5_000, 20_000).action());
        assertEquals(Action.ADVANCE, WaveJudge.judge(plan(0, 30), WAVE, now, BEFORE, 0, 5_000, 35_000).action());
    }
}
