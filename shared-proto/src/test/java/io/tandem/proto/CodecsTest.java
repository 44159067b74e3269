package io.tandem.proto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.tandem.proto.v1.DType;
import io.tandem.proto.v1.DeployAck;
import io.tandem.proto.v1.GateReason;
import io.tandem.proto.v1.HardExample;
import io.tandem.proto.v1.Tensor;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class CodecsTest {

    static HardExample.Builder example() {
        float[] probs = new float[10];
        Arrays.fill(probs, 0.1f);
        HardExample.Builder b = HardExample.newBuilder()
                .setSchemaVersion(Codecs.SCHEMA_VERSION)
                .setDeviceId("cam-1").setFleet("city").setModelVersion("v1").setSequence(7)
                .setCaptureTimeMs(1000).setGateReason(GateReason.LOW_CONFIDENCE).setThreshold(0.6f)
                .setInput(Tensor.newBuilder().addShape(1).addShape(28).addShape(28).setDtype(DType.UINT8)
                        .setData(ByteString.copyFrom(new byte[784])));
        for (float p : probs) {
            b.addProbabilities(p);
        }
        return b;
    }

    @Test
    void namesTheDeviceOfEveryStreamsMessage() {
        assertEquals("cam-1", Codecs.deviceIdOf(Topics.DeviceStream.SAMPLES, Codecs.HARD_EXAMPLE.encode(example().build())));
        DeployAck ack = DeployAck.newBuilder().setSchemaVersion(Codecs.SCHEMA_VERSION).setDeviceId("cam-2")
                .setFleet("city").setModelVersion("v1").setStatus(DeployAck.Status.ACTIVE).build();
        assertEquals("cam-2", Codecs.deviceIdOf(Topics.DeviceStream.ACKS, Codecs.DEPLOY_ACK.encode(ack)));
        PayloadException e = assertThrows(PayloadException.class,
                () -> Codecs.deviceIdOf(Topics.DeviceStream.TELEMETRY, new byte[] {(byte) 0xde, (byte) 0xad}));
        assertEquals(PayloadException.Reason.MALFORMED, e.reason());
        assertThrows(PayloadException.class,
                () -> Codecs.deviceIdOf(Topics.DeviceStream.RESULTS, Codecs.DEPLOY_ACK.encode(ack)),
                "an ack is not a result batch");
    }

    @Test
    void aBatchCarriesEachExampleAsItsOwnBytesAndBoundsItsSize() {
        byte[] one = Codecs.HARD_EXAMPLE.encode(example().build());
        byte[] two = Codecs.HARD_EXAMPLE.encode(example().setSequence(8).build());
        io.tandem.proto.v1.HardExampleBatch batch = io.tandem.proto.v1.HardExampleBatch.newBuilder()
                .setSchemaVersion(Codecs.SCHEMA_VERSION).setDeviceId("cam-1").setFleet("city")
                .addExamples(ByteString.copyFrom(one)).addExamples(ByteString.copyFrom(two)).build();
        byte[] wire = Codecs.HARD_EXAMPLE_BATCH.encode(batch);
        assertEquals("cam-1", Codecs.deviceIdOf(Topics.DeviceStream.SAMPLE_BATCHES, wire));
        assertArrayEquals(two, Codecs.HARD_EXAMPLE_BATCH.decode(wire).getExamples(1).toByteArray());
        assertEquals(8, Codecs.HARD_EXAMPLE.decode(Codecs.HARD_EXAMPLE_BATCH.decode(wire).getExamples(1).toByteArray())
                .getSequence());

        PayloadException empty = assertThrows(PayloadException.class, () -> Codecs.HARD_EXAMPLE_BATCH.decode(
                batch.toBuilder().clearExamples().build().toByteArray()));
        assertTrue(empty.getMessage().contains("holds 0 examples"), empty.getMessage());
        io.tandem.proto.v1.HardExampleBatch.Builder many = batch.toBuilder().clearExamples();
        for (int i = 0; i <= Codecs.MAX_EXAMPLES_PER_BATCH; i++) {
            many.addExamples(ByteString.copyFrom(new byte[] {1}));
        }
        PayloadException tooMany = assertThrows(PayloadException.class,
                () -> Codecs.HARD_EXAMPLE_BATCH.decode(many.build().toByteArray()));
        assertTrue(tooMany.getMessage().contains("allowed 1.." + Codecs.MAX_EXAMPLES_PER_BATCH), tooMany.getMessage());
        PayloadException big = assertThrows(PayloadException.class, () -> Codecs.HARD_EXAMPLE_BATCH.decode(
                batch.toBuilder().addExamples(ByteString.copyFrom(new byte[Codecs.MAX_HARD_EXAMPLE_BYTES + 1])).build()
                        .toByteArray()));
        assertEquals(PayloadException.Reason.OVERSIZED, big.reason());
    }

    @Test
    void roundTripsAHardExample() {
        HardExample original = example().setGroundTruth(3).build();
        byte[] bytes = Codecs.HARD_EXAMPLE.encode(original);
        assertEquals(original, Codecs.HARD_EXAMPLE.decode(bytes));
    }

    @Test
    void rejectsGarbageAsMalformed() {
        byte[] garbage = {(byte) 0xff, (byte) 0xff, (byte) 0xff, 0x01, 0x02};
        PayloadException e = assertThrows(PayloadException.class, () -> Codecs.HARD_EXAMPLE.decode(garbage));
        assertEquals(PayloadException.Reason.MALFORMED, e.reason());
        assertThrows(PayloadException.class, () -> Codecs.TELEMETRY.decode(new byte[0]));
    }

    @Test
    void rejectsOversizedBeforeParsing() {
        byte[] big = new byte[Codecs.MAX_TELEMETRY_BYTES + 1];
        PayloadException e = assertThrows(PayloadException.class, () -> Codecs.TELEMETRY.decode(big));
        assertEquals(PayloadException.Reason.OVERSIZED, e.reason());
        assertTrue(e.getMessage().contains("Telemetry"), e.getMessage());
    }

    @Test
    void rejectsTensorWhoseBytesDisagreeWithItsShape() {
        HardExample bad = example().setInput(Tensor.newBuilder().addShape(1).addShape(28).addShape(28)
                .setDtype(DType.UINT8).setData(ByteString.copyFrom(new byte[100]))).build();
        PayloadException e = assertThrows(PayloadException.class,
                () -> Codecs.HARD_EXAMPLE.decode(bad.toByteArray()));
        assertEquals(PayloadException.Reason.INVALID, e.reason());
        assertTrue(e.getMessage().contains("needs 784"), e.getMessage());
    }

    @Test
    void rejectsNanProbabilitiesAndUnknownSchema() {
        HardExample nan = example().setProbabilities(0, Float.NaN).build();
        assertEquals(PayloadException.Reason.INVALID, assertThrows(PayloadException.class,
                () -> Codecs.HARD_EXAMPLE.decode(nan.toByteArray())).reason());
        HardExample future = example().setSchemaVersion(2).build();
        assertEquals(PayloadException.Reason.UNSUPPORTED_SCHEMA, assertThrows(PayloadException.class,
                () -> Codecs.HARD_EXAMPLE.decode(future.toByteArray())).reason());
    }

    @Test
    void encodeRefusesWhatDecodeWouldRefuse() {
        DeployAck noStatus = DeployAck.newBuilder().setSchemaVersion(1).setDeviceId("d").setFleet("f")
                .setModelVersion("v1").build();
        assertThrows(PayloadException.class, () -> Codecs.DEPLOY_ACK.encode(noStatus));
        DeployAck ok = noStatus.toBuilder().setStatus(DeployAck.Status.ACTIVE).build();
        assertArrayEquals(ok.toByteArray(), Codecs.DEPLOY_ACK.encode(ok));
    }
}
