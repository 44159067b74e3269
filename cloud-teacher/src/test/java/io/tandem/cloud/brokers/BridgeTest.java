package io.tandem.cloud.brokers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.tandem.proto.Codecs;
import io.tandem.proto.Topics;
import io.tandem.proto.Topics.DeviceStream;
import com.google.protobuf.ByteString;
import io.tandem.proto.v1.HardExample;
import io.tandem.proto.v1.HardExampleBatch;
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
    void aBatchBecomesOneRecordPerExampleAndABadExampleCostsOnlyItself() throws Exception {
        long before = rejected("mqtt/sample-batches/INVALID");
        HardExample first = Wire.hardExample("f-bridge", "cam-b", 1);
        HardExample third = Wire.hardExample("f-bridge", "cam-b", 3);
        HardExample foreign = Wire.hardExample("f-bridge", "cam-other", 2);
        HardExampleBatch batch = HardExampleBatch.newBuilder().setSchemaVersion(Codecs.SCHEMA_VERSION)
                .setDeviceId("cam-b").setFleet("f-bridge")
                .addExamples(ByteString.copyFrom(Codecs.HARD_EXAMPLE.encode(first)))
                .addExamples(ByteString.copyFrom(Codecs.HARD_EXAMPLE.encode(foreign)))
                .addExamples(ByteString.copyFrom(Codecs.HARD_EXAMPLE.encode(third))).build();
        Wire.publishMqtt(Topics.mqtt("f-bridge", "cam-b", DeviceStream.SAMPLE_BATCHES),
                Codecs.HARD_EXAMPLE_BATCH.encode(batch), false);
        List<ConsumerRecord<String, byte[]>> got = List.of();
        for (long deadline = System.nanoTime() + 30_000_000_000L; got.size() < 2 && System.nanoTime() < deadline; ) {
            got = Wire.readKafka(Topics.KAFKA_SAMPLES, r -> "cam-b".equals(r.key()) || "cam-other".equals(r.key()),
                    Duration.ofSeconds(10));
        }
        assertEquals(List.of(first, third), got.stream().map(r -> Codecs.HARD_EXAMPLE.decode(r.value())).toList(),
                "the device's own examples, each its own record, in order, byte for byte");
        assertTrue(Wire.eventually(Duration.ofSeconds(20), () -> rejected("mqtt/sample-batches/INVALID") == before + 1),
                "the example naming another device is counted once as INVALID");
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
        String metrics = io.restassured.RestAssured.given().get("/q/metrics").then().statusCode(200).extract().asString();
        assertTrue(metrics.lines().anyMatch(l -> l.startsWith("tandem_rejected_inputs_total{")
                && l.contains("reason=\"MALFORMED\"") && l.contains("where=\"mqtt/sample-batches\"")),
                "refusals are Prometheus counters too");
        assertTrue(metrics.lines().anyMatch(l -> l.startsWith("tandem_bridge_forwarded_total{")
                && l.contains("topic=\"tandem.samples\"") && !l.endsWith(" 0.0")), "so is what the bridge moved");
    }
}
