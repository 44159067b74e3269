package io.tandem.distill.eval;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.tandem.proto.RuntimeHints;
import java.nio.file.Path;
import java.util.Map;

/** Opens ONNX Runtime sessions that honour the settings a model file asks for ({@link RuntimeHints}). */
public final class OrtSessions {

    private OrtSessions() {
    }

    /**
     * Creates a session with {@code options}, plus the allowed settings in the model's metadata; a model
     * that asks for settings is opened a second time with them.
     */
    public static OrtSession create(Path model, OrtSession.SessionOptions options) throws OrtException {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        OrtSession session = env.createSession(model.toString(), options);
        Map<String, String> hints;
        try {
            hints = RuntimeHints.sessionConfig(session.getMetadata().getCustomMetadata());
        } catch (RuntimeException | OrtException e) {
            session.close();
            throw e;
        }
        if (hints.isEmpty()) {
            return session;
        }
        session.close();
        for (Map.Entry<String, String> hint : hints.entrySet()) {
            options.addConfigEntry(hint.getKey(), hint.getValue());
        }
        return env.createSession(model.toString(), options);
    }
}
