package io.tandem.proto;

import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The one place that names Tandem's MQTT and Kafka topics.
 *
 * <p>MQTT: {@code tandem/v1/{fleet}/{device}/{kind}} from devices, {@code tandem/v1/{fleet}/deploy}
 * and {@code tandem/v1/{fleet}/{device}/deploy} to devices. Kafka: {@code tandem.{kind}}, keyed by
 * device id.
 */
public final class Topics {

    /** Prefix of every MQTT topic of this schema generation. */
    public static final String MQTT_PREFIX = "tandem/v1/";

    /** Kafka topic of hard examples. */
    public static final String KAFKA_SAMPLES = "tandem.samples";
    /** Kafka topic of inference result batches. */
    public static final String KAFKA_RESULTS = "tandem.results";
    /** Kafka topic of telemetry. */
    public static final String KAFKA_TELEMETRY = "tandem.telemetry";
    /** Kafka topic of deploy acknowledgements. */
    public static final String KAFKA_ACKS = "tandem.acks";

    /** Records a cloud worker could not handle after its retries, with the error, kept for a person. */
    public static final String KAFKA_DEAD_LETTERS = "tandem.dead-letters";
    /** Every Kafka topic Tandem uses: one per device stream, and the dead letters. */
    public static final List<String> KAFKA_TOPICS = List.of(KAFKA_SAMPLES, KAFKA_RESULTS, KAFKA_TELEMETRY, KAFKA_ACKS,
            KAFKA_DEAD_LETTERS);

    /** What a fleet, device, group or version id may be: one safe topic level and file name. */
    public static final String ID_REGEX = "[A-Za-z0-9][A-Za-z0-9_.-]{0,63}";

    private static final Pattern ID = Pattern.compile(ID_REGEX);

    private Topics() {
    }

    /** The kinds of message a device sends, each with its MQTT leaf and its Kafka topic. */
    public enum DeviceStream {
        SAMPLES("samples", KAFKA_SAMPLES),
        /** Several hard examples in one message; the bridge forwards each as its own record of tandem.samples. */
        SAMPLE_BATCHES("sample-batches", KAFKA_SAMPLES),
        RESULTS("results", KAFKA_RESULTS),
        TELEMETRY("telemetry", KAFKA_TELEMETRY),
        ACKS("acks", KAFKA_ACKS);

        private final String leaf;
        private final String kafkaTopic;

        DeviceStream(String leaf, String kafkaTopic) {
            this.leaf = leaf;
            this.kafkaTopic = kafkaTopic;
        }

        /** The last MQTT topic level, e.g. {@code samples}. */
        public String leaf() {
            return leaf;
        }

        /** The Kafka topic this stream is bridged to. */
        public String kafkaTopic() {
            return kafkaTopic;
        }
    }

    /** A parsed device-to-cloud MQTT topic. */
    public record DeviceTopic(String fleet, String deviceId, DeviceStream stream) {
    }

    /** Checks that a fleet or device id is safe to use as one topic level. */
    public static String requireId(String what, String id) {
        if (id == null || !ID.matcher(id).matches()) {
            throw new IllegalArgumentException(what + " must match " + ID.pattern() + ", got: " + id);
        }
        return id;
    }

    static void requireIdOrInvalid(String what, String id) {
        if (id == null || !ID.matcher(id).matches()) {
            throw Codecs.invalid(what + " must match " + ID.pattern() + ", got: '" + id + "'");
        }
    }

    /** The MQTT topic a device publishes one stream on. */
    public static String mqtt(String fleet, String deviceId, DeviceStream stream) {
        return MQTT_PREFIX + requireId("fleet", fleet) + "/" + requireId("device id", deviceId) + "/" + stream.leaf();
    }

    /** The MQTT filter that matches one stream of every device of every fleet. */
    public static String mqttFilterAllDevices(DeviceStream stream) {
        return MQTT_PREFIX + "+/+/" + stream.leaf();
    }

    /** The retained MQTT topic that tells a whole fleet what to run. */
    public static String fleetDeploy(String fleet) {
        return MQTT_PREFIX + requireId("fleet", fleet) + "/deploy";
    }

    /** The retained MQTT topic that tells one device what to run, overriding the fleet's. */
    public static String deviceDeploy(String fleet, String deviceId) {
        return MQTT_PREFIX + requireId("fleet", fleet) + "/" + requireId("device id", deviceId) + "/deploy";
    }

    /** The MQTT topic on which the cloud tells one device which of its samples it stored (QoS 1, not retained). */
    public static String deviceReceipts(String fleet, String deviceId) {
        return MQTT_PREFIX + requireId("fleet", fleet) + "/" + requireId("device id", deviceId) + "/receipts";
    }

    /** Parses a device-to-cloud topic; empty when the topic is not one of them. */
    public static Optional<DeviceTopic> parseDeviceTopic(String topic) {
        if (topic == null || !topic.startsWith(MQTT_PREFIX)) {
            return Optional.empty();
        }
        String[] levels = topic.substring(MQTT_PREFIX.length()).split("/", -1);
        if (levels.length != 3 || !ID.matcher(levels[0]).matches() || !ID.matcher(levels[1]).matches()) {
            return Optional.empty();
        }
        for (DeviceStream stream : DeviceStream.values()) {
            if (stream.leaf().equals(levels[2])) {
                return Optional.of(new DeviceTopic(levels[0], levels[1], stream));
            }
        }
        return Optional.empty();
    }
}
