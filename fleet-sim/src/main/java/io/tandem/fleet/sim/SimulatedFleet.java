package io.tandem.fleet.sim;

import io.tandem.edge.device.DeviceConfig;
import io.tandem.edge.device.EdgeDevice;
import io.tandem.edge.feed.FrameSource;
import io.tandem.edge.stats.DeviceStatus;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiFunction;

/**
 * Many edge devices in this JVM, each the real edge library with its own MQTT client, identity, work
 * folder and sequence counter. The simulator reads them only through {@link EdgeDevice#status()}.
 */
public final class SimulatedFleet implements AutoCloseable {

    private final List<EdgeDevice> devices = new ArrayList<>();

    /**
     * Creates and starts one device per configuration, each fed by the source made for it from its index
     * in {@code configs} and its configuration.
     */
    public SimulatedFleet(List<DeviceConfig> configs, BiFunction<Integer, DeviceConfig, FrameSource> sources) {
        try {
            for (int i = 0; i < configs.size(); i++) {
                EdgeDevice device = new EdgeDevice(configs.get(i), sources.apply(i, configs.get(i)));
                devices.add(device);
                device.start();
            }
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    /** The ids of the devices, in start order. */
    public List<String> deviceIds() {
        return devices.stream().map(EdgeDevice::deviceId).toList();
    }

    /** Every device's counters now. */
    public List<DeviceStatus> status() {
        return devices.stream().map(EdgeDevice::status).toList();
    }

    /** Stops every device, each draining what it has pending for up to {@code drain}. */
    public void stop(Duration drain) {
        devices.parallelStream().forEach(d -> d.stop(drain));
    }

    @Override
    public void close() {
        stop(Duration.ofSeconds(15));
    }
}
