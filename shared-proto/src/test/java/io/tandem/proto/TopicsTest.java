package io.tandem.proto;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class TopicsTest {

    @Test
    void buildsAndParsesDeviceTopics() {
        String topic = Topics.mqtt("city", "cam-7", Topics.DeviceStream.SAMPLES);
        assertEquals("tandem/v1/city/cam-7/samples", topic);
        Topics.DeviceTopic parsed = Topics.parseDeviceTopic(topic).orElseThrow();
        assertEquals(new Topics.DeviceTopic("city", "cam-7", Topics.DeviceStream.SAMPLES), parsed);
        assertEquals("tandem.samples", parsed.stream().kafkaTopic());
    }

    @Test
    void refusesTopicsThatAreNotDeviceStreams() {
        assertTrue(Topics.parseDeviceTopic("tandem/v1/city/deploy").isEmpty());
        assertTrue(Topics.parseDeviceTopic("tandem/v1/city/cam/deploy").isEmpty());
        assertTrue(Topics.parseDeviceTopic("tandem/v1/city/cam/samples/extra").isEmpty());
        assertTrue(Topics.parseDeviceTopic("other/v1/city/cam/samples").isEmpty());
        assertTrue(Topics.parseDeviceTopic("tandem/v1/ci ty/cam/samples").isEmpty());
    }

    @Test
    void refusesIdsThatWouldBreakTheTopicTree() {
        assertThrows(IllegalArgumentException.class, () -> Topics.mqtt("a/b", "d", Topics.DeviceStream.RESULTS));
        assertThrows(IllegalArgumentException.class, () -> Topics.fleetDeploy("+"));
        assertThrows(IllegalArgumentException.class, () -> Topics.fleetDeploy(".."), "a path step is no id");
        assertThrows(IllegalArgumentException.class, () -> Topics.deviceDeploy("f", "."));
        assertThrows(IllegalArgumentException.class, () -> Topics.deviceDeploy("f", "-x"));
        assertEquals("tandem/v1/f/cam.2/deploy", Topics.deviceDeploy("f", "cam.2"));
        assertEquals("tandem/v1/f/d/deploy", Topics.deviceDeploy("f", "d"));
    }

    @Test
    void everyDeviceStreamHasItsKafkaTopicListedAndTheDeadLettersToo() {
        java.util.List<String> expected = new java.util.ArrayList<>(java.util.Arrays.stream(Topics.DeviceStream.values())
                .map(Topics.DeviceStream::kafkaTopic).distinct().toList());
        expected.add(Topics.KAFKA_DEAD_LETTERS);
        assertEquals(expected, Topics.KAFKA_TOPICS);
    }
}
