package io.tandem.cloud.rollout;

import io.quarkus.runtime.ShutdownEvent;
import io.tandem.cloud.config.MqttLogin;
import io.tandem.cloud.config.TandemConfig;
import io.tandem.cloud.signing.ModelSigner;
import io.tandem.cloud.registry.ModelRegistry;
import io.tandem.proto.Codecs;
import io.tandem.proto.Topics;
import io.tandem.proto.v1.DeployCommand;
import io.tandem.proto.v1.ModelManifest;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.MqttException;
import org.eclipse.paho.client.mqttv3.MqttMessage;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;
import org.jboss.logging.Logger;

/**
 * Publishes signed deploy commands (QoS 1, retained): on a fleet's deploy topic, so devices that connect
 * later still learn what to run, or on each device's own topic, where it wins over the fleet's (a wave of a
 * rollout plan, {@code WaveRollouts}, which also ships every promoted student). Nothing is announced again
 * at start: the broker keeps the retained commands and the database the plans, so a manual rollback stays.
 */
@ApplicationScoped
public class RolloutController {

    private static final Logger LOG = Logger.getLogger(RolloutController.class);

    @Inject
    TandemConfig config;

    @Inject
    ModelSigner signer;

    @Inject
    ModelRegistry registry;

    @Inject
    FleetState fleetState;

    private static final String STUDENT_ROLE = "student";

    private MqttClient client;
    private final List<Rollout> rollouts = new ArrayList<>();

    /** One rollout as issued. */
    public record Rollout(String rolloutId, String fleet, String group, List<String> devices, String modelId,
            String version, String sha256, float confidenceThreshold, long issuedAtMs) {
    }

    /** Publishes the deploy command for a registered model version to a whole fleet. */
    public synchronized Rollout deploy(String modelId, String version, String fleet) {
        DeployCommand command = command(modelId, version, fleet, null);
        publish(Topics.fleetDeploy(fleet), command);
        return record(command, "", List.of());
    }

    /**
     * Publishes the deploy command to each device of {@code group} on its own topic, where it wins over the
     * fleet's command; the group's members are the devices that last reported it.
     */
    public synchronized Rollout deployToGroup(String modelId, String version, String fleet, String group) {
        Topics.requireId("group", group);
        return deployToDevices(modelId, version, fleet, fleetState.devicesOf(fleet, group), group, null);
    }

    /**
     * Publishes one signed deploy command to each of {@code devices} on its own topic, where it wins over the
     * fleet's command (a wave of a rollout plan, or a device returned to its previous version).
     *
     * @param rolloutId the command's rollout id; null for a fresh one
     */
    public synchronized Rollout deployToDevices(String modelId, String version, String fleet, List<String> devices,
            String group, String rolloutId) {
        DeployCommand command = command(modelId, version, fleet, rolloutId);
        for (String device : devices) {
            publish(Topics.deviceDeploy(fleet, device), command);
        }
        return record(command, group, devices);
    }

    private DeployCommand command(String modelId, String version, String fleet, String rolloutId) {
        Topics.requireId("fleet", fleet);
        ModelManifest m = registry.manifest(modelId, version).orElseThrow(() -> new IllegalArgumentException(
                "model " + modelId + " " + version + " is not registered"));
        if (!STUDENT_ROLE.equals(m.getRole())) {
            throw new IllegalArgumentException(modelId + " " + version + " is a " + m.getRole() + ", only students go to devices");
        }
        return signer.sign(DeployCommand.newBuilder().setSchemaVersion(Codecs.SCHEMA_VERSION).setFleet(fleet)
                .setRolloutId(rolloutId != null ? rolloutId
                        : "r-" + UUID.randomUUID().toString().substring(0, 8)).setModelId(modelId)
                .setModelVersion(version)
                .setArtifactUrl(config.publicUrl() + "/api/v1/models/" + modelId + "/" + version + "/artifact")
                .setSha256(m.getSha256()).setSizeBytes(m.getSizeBytes())
                .setConfidenceThreshold(config.rollout().confidenceThreshold())
                .setIssuedAtMs(System.currentTimeMillis()).setManifest(m).build(), m);
    }

    private void publish(String topic, DeployCommand command) {
        MqttMessage message = new MqttMessage(Codecs.DEPLOY_COMMAND.encode(command));
        message.setQos(1);
        message.setRetained(true);
        try {
            client().publish(topic, message);
        } catch (MqttException e) {
            throw new IllegalStateException("cannot publish deploy command to " + config.mqtt().url() + ": "
                    + e.getMessage(), e);
        }
    }

    private Rollout record(DeployCommand c, String group, List<String> devices) {
        Rollout r = new Rollout(c.getRolloutId(), c.getFleet(), group, List.copyOf(devices), c.getModelId(),
                c.getModelVersion(), c.getSha256(), c.getConfidenceThreshold(), c.getIssuedAtMs());
        rollouts.add(r);
        LOG.infof("rollout %s: %s %s to %s", r.rolloutId(), r.modelId(), r.version(), group.isEmpty()
                ? "fleet " + r.fleet() : "group " + group + " of fleet " + r.fleet() + " " + devices);
        return r;
    }

    /** Every rollout issued by this process, oldest first. */
    public synchronized List<Rollout> rollouts() {
        return List.copyOf(rollouts);
    }

    private MqttClient client() throws MqttException {
        if (client == null || !client.isConnected()) {
            client = new MqttClient(config.mqtt().url(), config.mqtt().clientId() + "-rollout", new MemoryPersistence());
            MqttConnectOptions options = new MqttConnectOptions();
            options.setCleanSession(true);
            options.setAutomaticReconnect(true);
            options.setKeepAliveInterval(config.mqtt().keepAliveSeconds());
            client.connect(MqttLogin.apply(config.mqtt(), options));
        }
        return client;
    }

    void stop(@Observes ShutdownEvent event) {
        if (client != null) {
            try {
                client.disconnect(2000);
                client.close();
            } catch (MqttException e) {
                LOG.warnf("closing rollout client: %s", e.getMessage());
            }
        }
    }
}
