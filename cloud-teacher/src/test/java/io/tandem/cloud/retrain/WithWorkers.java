package io.tandem.cloud.retrain;

import io.tandem.cloud.auth.ApiAuth;
import io.tandem.cloud.brokers.WithBrokers;
import java.util.HashMap;
import java.util.Map;

/**
 * The broker profile with the retrain pipeline on (it queues v1 at start) and tokens for an operator, a reader
 * and a retrain worker. No worker runs in this JVM: the test plays the worker over HTTP.
 */
public final class WithWorkers extends WithBrokers {

    static final String OPERATOR = "operator-token-for-pipeline-tests";
    static final String READER = "reader-token-for-pipeline-tests";
    static final String WORKER = "worker-token-for-pipeline-tests";

    @Override
    public Map<String, String> getConfigOverrides() {
        Map<String, String> m = new HashMap<>(super.getConfigOverrides());
        m.put("tandem.retrain.enabled", "true");
        m.put("tandem.retrain.bootstrap", "true");
        m.put("tandem.auth.tokens", "operator:" + ApiAuth.hash(OPERATOR) + ",reader:" + ApiAuth.hash(READER)
                + ",worker:" + ApiAuth.hash(WORKER));
        return m;
    }
}
