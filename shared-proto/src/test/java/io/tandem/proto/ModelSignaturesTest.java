package io.tandem.proto;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.tandem.proto.v1.DeployCommand;
import io.tandem.proto.v1.ModelManifest;
import io.tandem.proto.v1.ModelStatement;
import java.security.KeyPair;
import java.security.PublicKey;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ModelSignaturesTest {

    private static final String SHA = "ab".repeat(32);
    private final KeyPair cloud = ModelSignatures.newKeyPair();
    private final Map<String, PublicKey> trusted = Map.of(ModelSignatures.keyId(cloud.getPublic()), cloud.getPublic());

    private static DeployCommand signed(KeyPair key, ModelManifest m, long signedAt, long expires) {
        ModelStatement st = ModelSignatures.statement(m, ModelSignatures.keyId(key.getPublic()), signedAt, expires);
        return DeployCommand.newBuilder().setModelVersion(m.getVersion()).setSha256(m.getSha256())
                .setSizeBytes(m.getSizeBytes()).setStatement(st.toByteString())
                .setSignature(ByteString.copyFrom(ModelSignatures.sign(key.getPrivate(), st.toByteArray()))).build();
    }

    private static ModelManifest manifest(String version) {
        return ModelManifest.newBuilder().setVersion(version).setSha256(SHA).setSizeBytes(1234).build();
    }

    private String refusal(DeployCommand c) {
        return assertThrows(ModelSignatures.Untrusted.class, () -> ModelSignatures.verify(c, trusted, 1_000)).getMessage();
    }

    @Test
    void onlyACurrentStatementByATrustedKeyAboutExactlyThisArtifactVerifies() throws Exception {
        DeployCommand good = signed(cloud, manifest("v1"), 10, 2_000);
        assertEquals("v1", ModelSignatures.verify(good, trusted, 1_000).manifest().getVersion());
        assertTrue(refusal(good.toBuilder().clearSignature().build()).contains("unsigned"));
        assertTrue(refusal(signed(ModelSignatures.newKeyPair(), manifest("v1"), 10, 2_000)).contains("not trusted"));
        assertTrue(refusal(signed(cloud, manifest("v1"), 10, 500)).contains("expired"));
        assertTrue(refusal(good.toBuilder().setSha256("cd".repeat(32)).build()).contains("signed manifest"));
        byte[] sig = good.getSignature().toByteArray();
        sig[3] ^= 1;
        assertTrue(refusal(good.toBuilder().setSignature(ByteString.copyFrom(sig)).build()).contains("does not verify"));
    }

    @Test
    void aKeyEndorsedByATrustedKeyIsTrustedAndReportedAsNew() throws Exception {
        KeyPair next = ModelSignatures.newKeyPair();
        KeyPair third = ModelSignatures.newKeyPair();
        DeployCommand c = signed(third, manifest("v2"), 10, 2_000).toBuilder()
                .addEndorsements(ModelSignatures.endorse(next, third.getPublic()))
                .addEndorsements(ModelSignatures.endorse(cloud, next.getPublic())).build();
        ModelSignatures.Verified v = ModelSignatures.verify(c, trusted, 1_000);
        assertEquals(2, v.newKeys().size(), "both rotations are learnt, in any order");
        KeyPair stranger = ModelSignatures.newKeyPair();
        DeployCommand forged = signed(third, manifest("v2"), 10, 2_000).toBuilder()
                .addEndorsements(ModelSignatures.endorse(stranger, third.getPublic())).build();
        assertTrue(refusal(forged).contains("not trusted"));
    }
}
