package io.tandem.cloud.trigger;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class TriggerRuleTest {

    @Test
    void comparesWithEachOperator() {
        assertTrue(new TriggerRule("drift_score", ">", 0.2, 10, "").holds(0.3));
        assertFalse(new TriggerRule("drift_score", ">", 0.2, 10, "").holds(0.2));
        assertTrue(new TriggerRule("drift_score", ">=", 0.2, 10, "").holds(0.2));
        assertTrue(new TriggerRule("escalation_rate", "<", 0.2, 10, "").holds(0.1));
        assertTrue(new TriggerRule("new_human_labels", "<=", 5, 10, "").holds(5));
        assertTrue(new TriggerRule("seconds_since_training", "==", 60, 10, null).holds(60));
        assertTrue(new TriggerRule("drift_score", ">", 0.2, 10, "").perGroup());
        assertFalse(new TriggerRule("new_labelled_samples", ">", 0.2, 10, "").perGroup());
    }

    @Test
    void badRulesAreRefusedNamingTheField() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new TriggerRule("accuracy", ">", 1, 10, ""))
                .getMessage().startsWith("metric: unknown metric 'accuracy'"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new TriggerRule("drift_score", "~", 1, 10, ""))
                .getMessage().startsWith("operator"));
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> new TriggerRule("drift_score", ">", Double.NaN, 10, "")).getMessage().startsWith("threshold"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new TriggerRule("drift_score", ">", 1, 0, ""))
                .getMessage().startsWith("checkPeriod"));
    }
}
