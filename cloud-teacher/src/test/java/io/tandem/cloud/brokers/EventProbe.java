package io.tandem.cloud.brokers;

import io.tandem.cloud.registry.ModelRegistered;
import io.tandem.cloud.store.SamplesStored;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** Records the events the cloud's stages meet through, so tests can see one stage hand over to the next. */
@ApplicationScoped
public class EventProbe {

    private final List<SamplesStored> stored = new CopyOnWriteArrayList<>();
    private final List<ModelRegistered> registered = new CopyOnWriteArrayList<>();

    void onStored(@Observes SamplesStored e) {
        stored.add(e);
    }

    void onRegistered(@Observes ModelRegistered e) {
        registered.add(e);
    }

    /** Every {@link SamplesStored} so far. */
    public List<SamplesStored> stored() {
        return List.copyOf(stored);
    }

    /** Every {@link ModelRegistered} so far. */
    public List<ModelRegistered> registered() {
        return List.copyOf(registered);
    }
}
