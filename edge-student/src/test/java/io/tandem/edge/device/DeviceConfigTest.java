package io.tandem.edge.device;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class DeviceConfigTest {

    private static final Path DIR = Path.of("work");

    private static String refusal(Runnable r) {
        return assertThrows(IllegalArgumentException.class, r::run).getMessage();
    }

    @Test
    void defaultsAreValidAndDocumented() {
        DeviceConfig c = DeviceConfig.defaults("cam-1", DIR);
        assertEquals(1000, c.mqtt().maxInflight());
        assertEquals(20_000, c.mqtt().offlineBuffer());
        assertEquals(Duration.ofSeconds(120), c.ota().downloadTimeout());
        assertEquals("cpu", c.provider());
        assertEquals("demo", c.withFleet("demo", "tcp://127.0.0.1:1").fleet());
    }

    @Test
    void eachBadValueIsNamed() {
        DeviceConfig d = DeviceConfig.defaults("cam-1", DIR);
        assertTrue(refusal(() -> DeviceConfig.defaults("../cam", DIR)).contains("device id"));
        assertTrue(refusal(() -> d.withFleet("a b", d.mqttUrl())).contains("fleet"));
        assertTrue(refusal(() -> d.withFleet("f", "http://broker")).contains("MQTT URL"));
        assertTrue(refusal(() -> d.withPace(-1, 0, Duration.ofSeconds(1))).contains("frames per version"));
        assertTrue(refusal(() -> d.withPace(0, Double.NaN, Duration.ofSeconds(1))).contains("fps"));
        assertTrue(refusal(() -> d.withPace(0, 0, Duration.ofMillis(10))).contains("telemetry interval"));
        assertTrue(refusal(() -> new DeviceConfig.MqttTuning(5, 20_000, 10)).contains("in-flight"));
        assertTrue(refusal(() -> new DeviceConfig.MqttTuning(1000, 10, 10)).contains("offline buffer"));
        assertTrue(refusal(() -> DeviceConfig.OtaSettings.DEFAULT.withTimeouts(Duration.ZERO,
                Duration.ofSeconds(1), Duration.ofSeconds(1))).contains("connect"));
        assertTrue(refusal(() -> d.withRuntime("tpu9000", d.queue())).contains("execution provider"));
        assertTrue(refusal(() -> DeviceConfig.OtaSettings.DEFAULT.withRetries(0, Duration.ZERO)).contains("attempts"));
    }
}
