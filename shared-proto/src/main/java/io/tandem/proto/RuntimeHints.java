package io.tandem.proto;

import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * ONNX Runtime session settings a model file asks for in its metadata ({@code tandem.ort.config.<key>}). The
 * quantiser writes them, for instance to let ONNX Runtime fold the int8 weights of a weight-only model back
 * to float once at load time instead of dequantising them on every run. Only keys on an allow-list are
 * honoured, so a model file cannot switch on arbitrary runtime behaviour.
 */
public final class RuntimeHints {

    /** Metadata key prefix of a session configuration entry. */
    public static final String SESSION_CONFIG_PREFIX = "tandem.ort.config.";

    /** ORT's switch that turns off QDQ fusion, so that constant DequantizeLinear nodes fold at load. */
    public static final String DISABLE_QUANT_QDQ = "session.disable_quant_qdq";

    /** Session configuration keys a model may set. */
    public static final Set<String> ALLOWED = Set.of(DISABLE_QUANT_QDQ);

    private RuntimeHints() {
    }

    /**
     * The allowed session configuration entries in a model's custom metadata.
     *
     * @throws IllegalArgumentException if the model asks for a key that is not allowed
     */
    public static Map<String, String> sessionConfig(Map<String, String> customMetadata) {
        Map<String, String> config = new TreeMap<>();
        customMetadata.forEach((key, value) -> {
            if (key.startsWith(SESSION_CONFIG_PREFIX)) {
                String setting = key.substring(SESSION_CONFIG_PREFIX.length());
                if (!ALLOWED.contains(setting)) {
                    throw new IllegalArgumentException("model metadata asks for ONNX Runtime setting '" + setting
                            + "', which is not allowed (allowed: " + ALLOWED + ")");
                }
                config.put(setting, value);
            }
        });
        return config;
    }
}
