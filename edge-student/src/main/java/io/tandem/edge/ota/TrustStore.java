package io.tandem.edge.ota;

import io.tandem.proto.DurableFiles;
import io.tandem.proto.ModelSignatures;
import io.tandem.proto.v1.DeployCommand;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PublicKey;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The model-signing keys a device trusts: the pinned ones from its configuration, and the ones it learnt
 * through endorsements by a trusted key (kept in a file beside its models, so a rotation survives a
 * restart). With no pinned key, nothing is required and unsigned commands are accepted.
 */
final class TrustStore {

    private final Map<String, PublicKey> keys = new LinkedHashMap<>();
    private final boolean required;
    private final Path learnt;

    TrustStore(List<String> pinned, Path learnt) {
        this.learnt = learnt;
        for (String base64 : pinned) {
            try {
                PublicKey k = ModelSignatures.publicKey(base64);
                keys.put(ModelSignatures.keyId(k), k);
            } catch (ModelSignatures.Untrusted e) {
                throw new IllegalArgumentException("trusted key: " + e.getMessage());
            }
        }
        required = !keys.isEmpty();
        if (!required) {
            System.out.println("no trusted model-signing key pinned: this device accepts unsigned deploy commands");
            return;
        }
        try {
            if (Files.isRegularFile(learnt)) {
                for (String line : Files.readAllLines(learnt)) {
                    String[] parts = line.trim().split(" ");
                    if (parts.length == 2) {
                        PublicKey k = ModelSignatures.publicKey(parts[1]);
                        keys.put(ModelSignatures.keyId(k), k);
                    }
                }
            }
        } catch (IOException | ModelSignatures.Untrusted e) {
            System.out.println("ignoring learnt keys in " + learnt + ": " + e.getMessage());
        }
    }

    /** Whether commands must be signed. */
    boolean required() {
        return required;
    }

    /** Verifies a command against the keys trusted now. */
    synchronized ModelSignatures.Verified verify(DeployCommand command) throws ModelSignatures.Untrusted {
        return ModelSignatures.verify(command, Map.copyOf(keys), System.currentTimeMillis());
    }

    /** Trusts the keys the endorsements of a verified command introduce, and records them. */
    synchronized void learn(ModelSignatures.Verified v) {
        if (v.newKeys().isEmpty()) {
            return;
        }
        keys.putAll(v.newKeys());
        List<String> lines = new ArrayList<>();
        for (Map.Entry<String, PublicKey> e : keys.entrySet()) {
            lines.add(e.getKey() + " " + Base64.getEncoder().encodeToString(e.getValue().getEncoded()));
        }
        try {
            DurableFiles.replace(learnt, (String.join("\n", lines) + "\n").getBytes(java.nio.charset.StandardCharsets.UTF_8));
        } catch (IOException e) {
            System.out.println("cannot record learnt keys in " + learnt + ": " + e.getMessage());
        }
        System.out.println("now trusting model-signing keys " + v.newKeys().keySet() + " (endorsed by a trusted key)");
    }
}
