package io.tandem.cloud.brokers;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.tandem.cloud.metrics.Rejections;
import io.tandem.cloud.store.SampleStore;
import io.tandem.proto.Codecs;
import io.tandem.proto.v1.HardExample;
import io.tandem.proto.v1.LabelledSample;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

/**
 * A device that reuses sequence numbers (its work folder wiped or cloned) is told apart from a redelivery by
 * its incarnation: its new sample is kept under a key of its own, the reuse is counted, and a person can
 * label it through the label API.
 */
@QuarkusTest
@TestProfile(WithBrokers.class)
class SequenceReuseTest {

    @Inject
    SampleStore store;

    @Inject
    Rejections rejections;

    private static LabelledSample labelled(HardExample e) {
        LabelledSample.Builder s = LabelledSample.newBuilder().setSchemaVersion(Codecs.SCHEMA_VERSION).setExample(e)
                .setTeacherLabel(2).setTeacherVersion("t1");
        for (int c = 0; c < 10; c++) {
            s.addTeacherLogits(c == 2 ? 3f : 0f);
        }
        return s.build();
    }

    @Test
    void aReusedSequenceWithOtherContentIsKeptAndCountedAndARedeliveryIsNot() {
        HardExample first = Wire.hardExample("f-reuse", "cam-wiped", 5).toBuilder().setIncarnation("boot-a").build();
        assertTrue(store.append(labelled(first)));
        assertFalse(store.append(labelled(first)), "a redelivery of the same sample is not stored twice");

        byte[] other = first.getInput().getData().toByteArray();
        other[0] ^= 0x7f;
        HardExample reused = first.toBuilder().setIncarnation("boot-b").setInput(first.getInput().toBuilder()
                .setData(ByteString.copyFrom(other))).build();
        long alarms = rejections.snapshot().getOrDefault("sample-store/SEQUENCE_REUSED", 0L);
        assertTrue(store.append(labelled(reused)), "the wiped device's new sample is not dropped as a duplicate");
        assertFalse(store.append(labelled(reused)), "and its own redelivery is recognised");
        assertEquals(alarms + 1, rejections.snapshot().get("sample-store/SEQUENCE_REUSED"));
        assertTrue(store.sample("cam-wiped#5").isPresent());
        assertTrue(store.sample("cam-wiped#5@boot-b").isPresent());

        given().contentType("application/json").body("{\"key\":\"cam-wiped#5@boot-b\",\"label\":4,\"annotator\":\"t\"}")
                .post("/api/labels").then().statusCode(200);
        assertEquals(4, store.humanLabel("cam-wiped#5@boot-b").orElseThrow().getLabel());
        assertTrue(store.humanLabel("cam-wiped#5").isEmpty(), "the label went to the reused sample only");
    }
}
