package io.tandem.worker;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** A candidate ships only when it is clearly better on the paired gate samples. */
class StudentGateTest {

    @Test
    void aClearWinShipsAndASampleOrTwoDoesNot() {
        assertTrue(StudentRound.beats(12, 2), "a night student against a daylight one");
        assertTrue(StudentRound.beats(3, 0), "three clean wins");
        assertFalse(StudentRound.beats(5, 4), "one sample ahead on nine disagreements is noise");
        assertFalse(StudentRound.beats(2, 1));
        assertFalse(StudentRound.beats(0, 0), "no disagreement, nothing gained");
        assertFalse(StudentRound.beats(1, 3));
    }
}
