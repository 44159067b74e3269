package io.tandem.cloud.brokers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.tandem.proto.Codecs;
import io.tandem.proto.Topics;
import io.tandem.proto.Topics.DeviceStream;
import io.tandem.proto.v1.HardExample;
import java.time.Duration;
import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

/** The MQTT-to-Kafka bridge on real brokers: what a device publishes reaches Kafka; bad input is counted. */
@QuarkusTest
@TestProfile(WithBrokers.class)
class BridgeTest {

    private static long rejected(String key) {
        return Wire.rejected(key);
    }

    @Test
    void deviceSamplesReachKafkaKeyedByDevice() throws Exception {
        HardExample e = Wire.hardExample("f-bridge", "cam-7", 4242);
        Wire.publishMqtt(Topics.mqtt("f-bridge", "cam-7", DeviceStream.SAMPLES), Codecs.HARD_EXAMPLE.encode(e), false);
        List<ConsumerRecord<String, byte[]>> got = Wire.readKafka(Topics.KAFKA_SAMPLES,
                r -> "cam-7".equals(r.key()), Duration.ofSeconds(30));
        assertEquals(1, got.size(), "the sample reached tandem.samples once");
        assertEquals(e, Codecs.HARD_EXAMPLE.decode(got.get(0).value()), "byte for byte");
    }

    @Test
    void aPayloadNamingAnotherDeviceIsRefusedAndCounted() throws Exception {
        long before = rejected("mqtt/samples/INVALID");
        HardExample e = Wire.hardExample("f-bridge", "cam-8", 1);
        Wire.publishMqtt(Topics.mqtt("f-bridge", "cam-9", DeviceStream.SAMPLES), Codecs.HARD_EXAMPLE.encode(e), false);
        assertTrue(Wire.eventually(Duration.ofSeconds(20), () -> rejected("mqtt/samples/INVALID") == before + 1),
                "counted once as INVALID");
        assertTrue(Wire.readKafka(Topics.KAFKA_SAMPLES, r -> "cam-9".equals(r.key()) || "cam-8".equals(r.key()),
                Duration.ofSeconds(3)).isEmpty(), "nothing was forwarded");
    }

    @Test
    void malformedPayloadsOnEveryStreamAreCountedAndDoNotBlockTheNext() throws Exception {
        for (DeviceStream s : DeviceStream.values()) {
            long before = rejected("mqtt/" + s.leaf() + "/MALFORMED");
            Wire.publishMqtt(Topics.mqtt("f-bridge", "cam-bad", s), new byte[] {(byte) 0xde, (byte) 0xad, 0x7f}, false);
            assertTrue(Wire.eventually(Duration.ofSeconds(20),
                    () -> rejected("mqtt/" + s.leaf() + "/MALFORMED") == before + 1), s + " counted once");
        }
        HardExample after = Wire.hardExample("f-bridge", "cam-bad", 9);
        Wire.publishMqtt(Topics.mqtt("f-bridge", "cam-bad", DeviceStream.SAMPLES), Codecs.HARD_EXAMPLE.encode(after),
                false);
        assertEquals(1, Wire.readKafka(Topics.KAFKA_SAMPLES, r -> "cam-bad".equals(r.key()), Duration.ofSeconds(30))
                .size(), "the good message behind the bad ones still arrives");
    }
}
