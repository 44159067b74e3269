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
 * and which signs now; {@code POST /api/keys/rotate} makes a new key endorsed by the current one.
 */
@Path("/api/keys")
@Produces(MediaType.APPLICATION_JSON)
public class KeysResource {

    @Inject
    ModelSigner signer;

    /** The public keys and the current one. */
    @GET
    public Map<String, Object> keys() {
        return Map.of("current", signer.currentKeyId(), "keys", signer.publicKeys());
    }

    /** Rotates the signing key. */
    @POST
    @Path("/rotate")
    public Map<String, Object> rotate() {
        String id = signer.rotate();
        return Map.of("current", id, "keys", signer.publicKeys());
    }
}
