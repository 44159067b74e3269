package io.tandem.cloud.joint;

import io.tandem.cloud.brokers.WithBrokers;
import java.util.HashMap;
import java.util.Map;

/** The broker profile with a teacher queue of two frames answered one at a time, so that it overflows. */
public final class JointOverload extends WithBrokers {

    @Override
    public Map<String, String> getConfigOverrides() {
        Map<String, String> m = new HashMap<>(super.getConfigOverrides());
        m.put("tandem.joint.queue-capacity", "2");
        m.put("tandem.joint.max-batch", "1");
        m.put("tandem.joint.max-wait-ms", "0");
        return m;
    }
}
