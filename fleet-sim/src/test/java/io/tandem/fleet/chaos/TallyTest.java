package io.tandem.fleet.chaos;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TallyTest {

    @TempDir
    Path dir;

    @Test
    void sortsEverySampleByWhatBecameOfIt() throws Exception {
        Path ledger = Files.writeString(dir.resolve("d.ledger"), String.join("\n",
                "Q a 1", "A a 1",      // receipted and stored
                "Q a 2", "A a 2",      // receipted, not stored: lost
                "Q a 3", "D a 3",      // dropped and counted
                "Q a 4",               // neither: dropped without a count
                "A b 1",               // queued by a run killed before it could write its line, stored
                "") + "\n");
        Map<String, Set<io.tandem.edge.uplink.SampleLedger.Event>> events = Tally.ledgers(Map.of("d", ledger));
        Map<String, Integer> store = Map.of(Tally.key("d", "a", 1), 2, Tally.key("d", "b", 1), 1,
                Tally.key("d", "z", 9), 1);
        Tally t = Tally.of(events, store);
        assertEquals(5, t.produced());
        assertEquals(2, t.stored());
        assertEquals(1, t.lost());
        assertEquals(1, t.duplicated(), "one sample stored twice");
        assertEquals(1, t.droppedCounted());
        assertEquals(1, t.droppedUncounted());
        assertEquals(1, t.unexplained(), "a stored sample no ledger names");
        assertFalse(t.passed());
        assertEquals(1, Tally.outstanding(events, store), "the receipted sample the store lacks");
    }

    @Test
    void passesOnlyWhenNothingIsMissingOrExtra() {
        assertTrue(new Tally(10, 8, 0, 0, 2, 0, 0).passed());
        assertFalse(new Tally(0, 0, 0, 0, 0, 0, 0).passed(), "a scenario that produced nothing proves nothing");
    }
}
