package io.tandem.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A candidate ships only when it is clearly better on the paired gate samples. */
class StudentGateTest {

    @Test
    void aClearWinShipsAndASampleOrTwoDoesNot() {
        assertTrue(StudentRound.beats(12, 2), "a night student against a daylight one");
        assertTrue(StudentRound.beats(3, 0), "three clean wins");
        assertFalse(StudentRound.beats(5, 4), "one sample ahead on nine disagreements is noise");
        assertFalse(StudentRound.beats(2, 1));
        assertFalse(StudentRound.beats(1, 0), "one sample where the two agree on 38 of 39 is not a better model");
        assertTrue(StudentRound.beats(2, 0));
        assertFalse(StudentRound.beats(0, 0), "no disagreement, nothing gained");
        assertFalse(StudentRound.beats(1, 3));
    }

    @Test
    void aFleetStudentThatMakesOneGroupWorseDoesNotShip() {
        var downtown = new StudentRound.GroupGate("downtown", 60, 55, 45, 12, 2, true);
        var harbourEven = new StudentRound.GroupGate("harbour", 60, 50, 50, 4, 4, true);
        var harbourWorse = new StudentRound.GroupGate("harbour", 60, 44, 52, 2, 10, true);
        assertTrue(new StudentRound.Verdict(List.of(downtown, harbourEven), true).promoted(), "better in one, even in the other");
        StudentRound.Verdict worse = new StudentRound.Verdict(List.of(downtown, harbourWorse), true);
        assertFalse(worse.promoted(), "14 to 12 overall, but the harbour loses 8 net: " + worse.describe());
        assertTrue(worse.describe().contains("harbour 60: 44 vs 52 right (only the candidate 2, only the deployed 10), worse here"));
        assertEquals(99 / 120.0, worse.candidate(), 1e-9);
        assertTrue(new StudentRound.Verdict(List.of(harbourWorse), false).promoted(), "the first student has nothing to beat");
        var ownStudent = new StudentRound.GroupGate("harbour", 60, 44, 52, 2, 10, false);
        var downtownClear = new StudentRound.GroupGate("downtown", 60, 58, 40, 20, 2, true);
        StudentRound.Verdict elsewhere = new StudentRound.Verdict(List.of(downtownClear, ownStudent), true);
        assertTrue(elsewhere.promoted(), "a group that runs its own student does not hold the fleet's back: "
                + elsewhere.describe());
        assertTrue(elsewhere.describe().contains("runs its own student"));
    }

    @Test
    void theGateJudgesOnRecentAuditsOnceThereAreEnough() {
        List<EdgeExamples.Example> group = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            group.add(new EdgeExamples.Example("k" + i, "harbour", new byte[0], new float[0], 0, -1, i % 4 == 0));
        }
        List<EdgeExamples.Example> gate = StudentRound.gateSamples(group, 100);
        assertEquals(25, gate.size(), "every audit of the last 100 samples");
        assertTrue(gate.stream().allMatch(e -> e.audit() && Integer.parseInt(e.key().substring(1)) >= 100));
        List<EdgeExamples.Example> early = StudentRound.gateSamples(group.subList(0, 20), 100);
        assertTrue(early.stream().noneMatch(EdgeExamples.Example::audit), "5 audits are too few: held-out uploads instead");
        assertTrue(early.stream().allMatch(TeacherAdaptation::validation));
    }

    @Test
    void aFleetStudentIsJudgedOnEveryGroupAndVetoedWhereItRuns() {
        List<EdgeExamples.Example> all = new ArrayList<>();
        for (String g : List.of("harbour", "downtown", "", "harbour")) {
            all.add(new EdgeExamples.Example("k" + all.size(), g, new byte[0], new float[0], 0, -1, true));
        }
        assertEquals(java.util.Map.of("", true, "downtown", true, "harbour", false),
                StudentRound.judgedGroups("", all, List.of("downtown")), "the harbour runs its own student");
        assertEquals(List.of("", "downtown", "harbour"), List.copyOf(StudentRound.judgedGroups("", all, List.of()).keySet()));
        assertTrue(StudentRound.judgedGroups("", all, List.of()).values().stream().allMatch(b -> b), "no list: every group");
        assertEquals(java.util.Map.of("harbour", true), StudentRound.judgedGroups("harbour", all, List.of("downtown")));
    }
}
