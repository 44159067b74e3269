package io.tandem.cloud.auth;

import io.tandem.cloud.brokers.WithBrokers;
import java.util.HashMap;
import java.util.Map;

/** The broker profile with an operator, a device and a reader token configured (as their sha256). */
public final class WithTokens extends WithBrokers {

    static final String OPERATOR = "operator-token-for-tests";
    static final String DEVICE = "device-token-for-tests";
    static final String READER = "reader-token-for-tests";

    @Override
    public Map<String, String> getConfigOverrides() {
        Map<String, String> m = new HashMap<>(super.getConfigOverrides());
        m.put("tandem.auth.tokens", "operator:" + ApiAuth.hash(OPERATOR) + ",device:" + ApiAuth.hash(DEVICE)
                + ",reader:" + ApiAuth.hash(READER));
        return m;
    }
}
