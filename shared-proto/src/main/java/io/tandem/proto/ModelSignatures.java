package io.tandem.proto;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.tandem.proto.v1.DeployCommand;
import io.tandem.proto.v1.KeyEndorsement;
import io.tandem.proto.v1.ModelManifest;
import io.tandem.proto.v1.ModelStatement;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.X509EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Signed models with the JDK's own Ed25519: the cloud signs a {@link ModelStatement} (the manifest, which
 * names the artifact's sha256, with a signing time and an expiry); a device verifies it against keys it
 * trusts (pinned, or endorsed by a trusted key) before it downloads anything and again before the swap.
 */
public final class ModelSignatures {

    private static final String ALGORITHM = "Ed25519";

    private ModelSignatures() {
    }

    /** Why a deploy command is not trusted. */
    public static final class Untrusted extends Exception {
        public Untrusted(String message) {
            super(message);
        }
    }

    /** A new Ed25519 key pair. */
    public static KeyPair newKeyPair() {
        try {
            return KeyPairGenerator.getInstance(ALGORITHM).generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("this JDK has no Ed25519", e);
        }
    }

    /** The id of a public key: the first 16 hex digits of the sha256 of its X.509 encoding. */
    public static String keyId(PublicKey key) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(key.getEncoded()), 0, 8);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A public key from its X.509 encoding. */
    public static PublicKey publicKey(byte[] x509) throws Untrusted {
        try {
            return KeyFactory.getInstance(ALGORITHM).generatePublic(new X509EncodedKeySpec(x509));
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            throw new Untrusted("not an Ed25519 public key: " + e.getMessage());
        }
    }

    /** A public key from the base64 of its X.509 encoding, as operators pin it. */
    public static PublicKey publicKey(String base64) throws Untrusted {
        try {
            return publicKey(Base64.getDecoder().decode(base64.trim()));
        } catch (IllegalArgumentException e) {
            throw new Untrusted("a trusted key must be base64, got '" + base64 + "'");
        }
    }

    /** Signs {@code data}. */
    public static byte[] sign(PrivateKey key, byte[] data) {
        try {
            Signature s = Signature.getInstance(ALGORITHM);
            s.initSign(key);
            s.update(data);
            return s.sign();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot sign: " + e.getMessage(), e);
        }
    }

    /** Whether {@code signature} is {@code key}'s over {@code data}. */
    public static boolean verify(PublicKey key, byte[] data, byte[] signature) {
        try {
            Signature s = Signature.getInstance(ALGORITHM);
            s.initVerify(key);
            s.update(data);
            return s.verify(signature);
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    /** The statement a signing key makes about a manifest, valid until {@code expiresAtMs}. */
    public static ModelStatement statement(ModelManifest manifest, String keyId, long signedAtMs, long expiresAtMs) {
        return ModelStatement.newBuilder().setManifest(manifest.toByteString()).setSignedAtMs(signedAtMs)
                .setExpiresAtMs(expiresAtMs).setKeyId(keyId).build();
    }

    /** {@code by} vouching for {@code next}. */
    public static KeyEndorsement endorse(KeyPair by, PublicKey next) {
        String id = keyId(next);
        return KeyEndorsement.newBuilder().setKeyId(id).setPublicKey(ByteString.copyFrom(next.getEncoded()))
                .setEndorsedBy(keyId(by.getPublic())).setSignature(ByteString.copyFrom(sign(by.getPrivate(),
                        endorsed(id, next.getEncoded())))).build();
    }

    private static byte[] endorsed(String keyId, byte[] publicKey) {
        byte[] id = keyId.getBytes(StandardCharsets.UTF_8);
        byte[] out = new byte[id.length + publicKey.length];
        System.arraycopy(id, 0, out, 0, id.length);
        System.arraycopy(publicKey, 0, out, id.length, publicKey.length);
        return out;
    }

    /** A verified command: the signed manifest and statement, and keys newly trusted through endorsements. */
    public record Verified(ModelManifest manifest, ModelStatement statement, Map<String, PublicKey> newKeys) {
    }

    /**
     * Verifies a deploy command against {@code trusted} keys (by id): the statement's signature, following
     * endorsements from a trusted key to the signing key, the expiry, and that the command names exactly the
     * signed artifact (sha256, size, version).
     *
     * @throws Untrusted naming what is wrong
     */
    public static Verified verify(DeployCommand command, Map<String, PublicKey> trusted, long nowMs) throws Untrusted {
        if (command.getStatement().isEmpty() || command.getSignature().isEmpty()) {
            throw new Untrusted("unsigned deploy command");
        }
        ModelStatement statement;
        ModelManifest manifest;
        try {
            statement = ModelStatement.parseFrom(command.getStatement());
            manifest = ModelManifest.parseFrom(statement.getManifest());
        } catch (InvalidProtocolBufferException e) {
            throw new Untrusted("the signed statement is not readable: " + e.getMessage());
        }
        Map<String, PublicKey> keys = new LinkedHashMap<>(trusted);
        Map<String, PublicKey> added = new LinkedHashMap<>();
        List<KeyEndorsement> pending = new ArrayList<>(command.getEndorsementsList());
        boolean progress = true;
        while (progress && !keys.containsKey(statement.getKeyId())) {
            progress = false;
            for (KeyEndorsement e : List.copyOf(pending)) {
                PublicKey by = keys.get(e.getEndorsedBy());
                if (by == null) {
                    continue;
                }
                pending.remove(e);
                PublicKey next = publicKey(e.getPublicKey().toByteArray());
                if (!keyId(next).equals(e.getKeyId()) || !verify(by, endorsed(e.getKeyId(),
                        e.getPublicKey().toByteArray()), e.getSignature().toByteArray())) {
                    throw new Untrusted("the endorsement of key " + e.getKeyId() + " by " + e.getEndorsedBy()
                            + " does not verify");
                }
                keys.put(e.getKeyId(), next);
                added.put(e.getKeyId(), next);
                progress = true;
            }
        }
        PublicKey key = keys.get(statement.getKeyId());
        if (key == null) {
            throw new Untrusted("signed by key " + statement.getKeyId() + ", which is not trusted (trusted: "
                    + trusted.keySet() + ")");
        }
        if (!verify(key, command.getStatement().toByteArray(), command.getSignature().toByteArray())) {
            throw new Untrusted("the signature does not verify with key " + statement.getKeyId());
        }
        if (statement.getExpiresAtMs() <= nowMs) {
            throw new Untrusted("the signed statement expired at " + java.time.Instant.ofEpochMilli(
                    statement.getExpiresAtMs()));
        }
        if (!manifest.getSha256().equals(command.getSha256()) || manifest.getSizeBytes() != command.getSizeBytes()
                || !manifest.getVersion().equals(command.getModelVersion())) {
            throw new Untrusted("the command names " + command.getModelVersion() + " sha256 " + command.getSha256()
                    + ", the signed manifest " + manifest.getVersion() + " sha256 " + manifest.getSha256());
        }
        return new Verified(manifest, statement, added);
    }
}
