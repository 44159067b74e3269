package io.tandem.cloud.api;

import io.tandem.cloud.signing.ModelSigner;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.util.Map;

/**
 * The model-signing keys: {@code GET /api/keys} lists the public keys (what devices pin, base64 X.509)
 * and which signs now; {@code GET /api/keys/current} the one that signs now as text; {@code POST /api/keys/rotate} makes a new key endorsed by the current one.
 */
@Path("/api/keys")
@Produces(MediaType.APPLICATION_JSON)
public class KeysResource {

    @Inject
    ModelSigner signer;

    /**
     * The signing keys.
     *
     * @param current the id of the key that signs now
     * @param keys every public key devices may pin, by id (base64 X.509)
     */
    public record Keys(String current, Map<String, String> keys) {
    }

    /** The public keys and the current one. */
    @GET
    public Keys keys() {
        return new Keys(signer.currentKeyId(), signer.publicKeys());
    }

    /** The key that signs now, as base64 text: what a provisioning script hands a device ({@code --trusted-key}). */
    @GET
    @Path("/current")
    @Produces(MediaType.TEXT_PLAIN)
    public String current() {
        return signer.publicKeys().get(signer.currentKeyId()) + "\n";
    }

    /** Rotates the signing key. */
    @POST
    @Path("/rotate")
    public Keys rotate() {
        String id = signer.rotate();
        return new Keys(id, signer.publicKeys());
    }
}
