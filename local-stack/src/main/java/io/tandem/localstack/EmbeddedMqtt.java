package io.tandem.localstack;

import io.moquette.broker.Server;
import io.moquette.broker.config.MemoryConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Properties;

/**
 * An MQTT 3.1.1 broker (Moquette) bound to 127.0.0.1, persisting sessions, queued QoS 1 messages and retained
 * messages under its data folder; with a TLS listener beside the plain one when configured. Telemetry to
 * Moquette's authors is off.
 */
public final class EmbeddedMqtt implements AutoCloseable {

    /** Queue depth per client session: QoS 1 bursts from many devices must not overflow it. */
    public static final int SESSION_QUEUE_SIZE = 16_384;

    private final LocalStackConfig config;
    private Server server;

    /** Creates, but does not start, a broker. */
    public EmbeddedMqtt(LocalStackConfig config) {
        this.config = config;
    }

    /** The broker URL clients use. */
    public String url() {
        return "tcp://" + config.host() + ":" + config.mqttPort();
    }

    /** Starts the broker. */
    public void start() {
        Properties p = new Properties();
        p.setProperty("host", config.host());
        p.setProperty("port", Integer.toString(config.mqttPort()));
        p.setProperty("websocket_port", "disabled");
        p.setProperty("allow_anonymous", config.mqttAuthDir() == null ? "true" : "false");
        // Sessions, queued QoS 1 messages and retained deploy commands survive a restart: persisted under the
        // data folder, saved every second (Moquette's shortest interval).
        p.setProperty("persistence_enabled", "true");
        p.setProperty("data_path", config.dataDir().resolve("mqtt").toAbsolutePath().toString());
        p.setProperty("autosave_interval", "1");
        p.setProperty("telemetry_enabled", "false");
        p.setProperty("session_queue_size", Integer.toString(SESSION_QUEUE_SIZE));
        p.setProperty("netty.mqtt.message_size", Integer.toString(config.mqttMaxMessageBytes()));
        p.setProperty("immediate_buffer_flush", "true");
        // Sessions need an expiry to be restored after an unclean stop (Moquette 0.17 refuses to start otherwise).
        p.setProperty("persistent_client_expiration", "7d");
        if (config.mqttTls() != null) {
            p.setProperty("ssl_provider", "JDK");
            p.setProperty("ssl_port", Integer.toString(config.mqttTls().port()));
            p.setProperty("jks_path", config.mqttTls().keyStore().toAbsolutePath().toString());
            p.setProperty("key_store_type", "pkcs12");
            p.setProperty("key_store_password", config.mqttTls().password());
            p.setProperty("key_manager_password", config.mqttTls().password());
        }
        server = new Server();
        try {
            if (config.mqttAuthDir() == null) {
                server.startServer(new MemoryConfig(p));
            } else {
                FileAuth auth = new FileAuth(config.mqttAuthDir());
                server.startServer(new MemoryConfig(p), java.util.List.of(), null, auth, auth);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start MQTT broker on " + url(), e);
        }
    }

    @Override
    public void close() {
        if (server != null) {
            server.stopServer();
            server = null;
        }
    }
}
