package io.tandem.cloud.rollout.plan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class WavesTest {

    private static List<String> devices(int n) {
        return IntStream.range(0, n).mapToObj(i -> String.format("cam-%04d", i)).toList();
    }

    @Test
    void percentagesAreCumulativeAndTheLastWaveTakesTheRest() {
        List<List<String>> waves = Waves.split(devices(1000), Waves.parse(List.of("5%", "15%", "50%", "100%")));
        assertEquals(List.of(50, 100, 350, 500), waves.stream().map(List::size).toList());
        assertEquals("cam-0000", waves.get(0).get(0));
        assertEquals("cam-0999", waves.get(3).get(499));
    }

    @Test
    void countsMixWithPercentagesAndASmallTargetDropsEmptyWaves() {
        assertEquals(List.of(10, 990), Waves.split(devices(1000), Waves.parse(List.of("10", "100%")))
                .stream().map(List::size).toList());
        // 3 devices: 5% rounds up to one device, 15% to one more: the second wave would be empty.
        assertEquals(List.of(1, 2), Waves.split(devices(3), Waves.parse(List.of("5%", "15%", "100%")))
                .stream().map(List::size).toList());
        assertEquals(List.of(), Waves.split(List.of(), Waves.parse(List.of("100%"))));
    }

    @Test
    void badWavesAreRefusedNamingTheWave() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Waves.parse(List.of("5%", "150%")))
                .getMessage().startsWith("wave 2 is 150%"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Waves.parse(List.of("50%", "20%")))
                .getMessage().contains("must be larger than wave 1"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Waves.parse(List.of("ten")))
                .getMessage().contains("device count"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Waves.parse(List.of("0")))
                .getMessage().contains("1..10000000"));
        assertThrows(IllegalArgumentException.class, () -> Waves.parse(List.of()));
    }
}
