package io.tandem.edge.link;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SequenceCounterTest {

    @TempDir
    Path dir;

    @Test
    void staysStrictlyIncreasingAcrossRestarts() {
        Path file = dir.resolve("sequence");
        long last = 0;
        for (int restart = 0; restart < 3; restart++) {
            SequenceCounter counter = new SequenceCounter(file);
            for (int i = 0; i < 1500; i++) {
                long next = counter.next();
                assertTrue(next > last, "sequence " + next + " after " + last);
                last = next;
            }
        }
    }
}
