package io.tandem.proto;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

class RuntimeHintsTest {

    @Test
    void takesAllowedSettingsAndIgnoresOtherMetadata() {
        Map<String, String> config = RuntimeHints.sessionConfig(Map.of(
                "tandem.ort.config.session.disable_quant_qdq", "1", "tandem.quantization", "qdq int8", "author", "x"));
        assertEquals(Map.of("session.disable_quant_qdq", "1"), config);
        assertTrue(RuntimeHints.sessionConfig(Map.of()).isEmpty());
    }

    @Test
    void refusesSettingsOffTheAllowList() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> RuntimeHints.sessionConfig(
                Map.of("tandem.ort.config.session.use_env_allocators", "1")));
        assertTrue(e.getMessage().contains("session.use_env_allocators"), e.getMessage());
    }
}
