package io.tandem.cloud.signing;

import io.tandem.cloud.config.TandemConfig;
import io.tandem.proto.DurableFiles;
import io.tandem.proto.ModelSignatures;
import io.tandem.proto.v1.DeployCommand;
import io.tandem.proto.v1.KeyEndorsement;
import io.tandem.proto.v1.ModelManifest;
import io.tandem.proto.v1.ModelStatement;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.PublicKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The cloud's model-signing keys: Ed25519 pairs in {@code <data-dir>/keys}, the private halves readable by
 * the owner only. The first start makes the first key; {@link #rotate()} makes a new one endorsed by the
 * current one, so devices that trust any earlier key learn the new one from the commands themselves. Every
 * deploy command carries the signed statement and the chain of endorsements.
 */
@ApplicationScoped
public class ModelSigner {

    @Inject
    TandemConfig config;

    private final List<KeyPair> keys = new ArrayList<>();
    private final List<KeyEndorsement> endorsements = new ArrayList<>();

    private Path dir() {
        return config.dataDir().resolve("keys");
    }

    private synchronized void load() {
        if (!keys.isEmpty()) {
            return;
        }
        try {
            Files.createDirectories(dir());
            for (int i = 0; ; i++) {
                Path priv = dir().resolve("signing-" + i + ".key");
                if (!Files.isRegularFile(priv)) {
                    break;
                }
                KeyFactory f = KeyFactory.getInstance("Ed25519");
                keys.add(new KeyPair(f.generatePublic(new X509EncodedKeySpec(Files.readAllBytes(dir().resolve(
                        "signing-" + i + ".pub")))), f.generatePrivate(new PKCS8EncodedKeySpec(Files.readAllBytes(priv)))));
                if (i > 0) {
                    endorsements.add(KeyEndorsement.parseFrom(Files.readAllBytes(dir().resolve("endorsement-" + i + ".pb"))));
                }
            }
            if (keys.isEmpty()) {
                add(ModelSignatures.newKeyPair());
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the signing keys in " + dir(), e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("signing keys in " + dir() + " are not Ed25519 keys: " + e.getMessage(), e);
        }
    }

    private void add(KeyPair pair) throws IOException {
        int i = keys.size();
        if (i > 0) {
            KeyEndorsement e = ModelSignatures.endorse(keys.get(i - 1), pair.getPublic());
            write(dir().resolve("endorsement-" + i + ".pb"), e.toByteArray());
            endorsements.add(e);
        }
        write(dir().resolve("signing-" + i + ".pub"), pair.getPublic().getEncoded());
        Path priv = dir().resolve("signing-" + i + ".key");
        write(priv, pair.getPrivate().getEncoded());
        try {
            Files.setPosixFilePermissions(priv, PosixFilePermissions.fromString("rw-------"));
        } catch (UnsupportedOperationException e) {
            // not a POSIX file system: the folder's own protection applies
        }
        keys.add(pair);
    }

    private static void write(Path file, byte[] bytes) throws IOException {
        DurableFiles.replace(file, bytes);
    }

    /** Signs {@code command}'s manifest, valid for {@code tandem.signing.validity-hours}. */
    public DeployCommand sign(DeployCommand command, ModelManifest manifest) {
        return sign(command, manifest, System.currentTimeMillis() + config.signing().validityHours() * 3_600_000L);
    }

    /** Signs {@code command}'s manifest: the statement (valid until {@code expiresAtMs}), its signature, the endorsements. */
    public synchronized DeployCommand sign(DeployCommand command, ModelManifest manifest, long expiresAtMs) {
        load();
        KeyPair current = keys.get(keys.size() - 1);
        ModelStatement st = ModelSignatures.statement(manifest, ModelSignatures.keyId(current.getPublic()),
                System.currentTimeMillis(), expiresAtMs);
        return command.toBuilder().setStatement(st.toByteString())
                .setSignature(com.google.protobuf.ByteString.copyFrom(ModelSignatures.sign(current.getPrivate(),
                        st.toByteArray()))).clearEndorsements().addAllEndorsements(endorsements).build();
    }

    /** Makes a new signing key, endorsed by the current one; returns its id. */
    public synchronized String rotate() {
        load();
        try {
            add(ModelSignatures.newKeyPair());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the new signing key in " + dir(), e);
        }
        return currentKeyId();
    }

    /** The id of the key that signs now. */
    public synchronized String currentKeyId() {
        load();
        return ModelSignatures.keyId(keys.get(keys.size() - 1).getPublic());
    }

    /** Every public key, oldest first, by id, as base64 of its X.509 encoding: what devices pin. */
    public synchronized Map<String, String> publicKeys() {
        load();
        Map<String, String> out = new LinkedHashMap<>();
        for (KeyPair k : keys) {
            PublicKey p = k.getPublic();
            out.put(ModelSignatures.keyId(p), Base64.getEncoder().encodeToString(p.getEncoded()));
        }
        return out;
    }
}
