package io.tandem.cloud.metrics;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.tandem.cloud.bridge.MqttKafkaBridge;
import io.tandem.cloud.bridge.ReceiptSender;
import io.tandem.cloud.labeler.TeacherLabeler;
import io.tandem.cloud.rollout.FleetState;
import io.tandem.cloud.store.SampleStore;
import io.tandem.cloud.trigger.TriggerEngine;
import io.tandem.proto.Topics;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.util.List;

/**
 * The service's counters and gauges as Micrometer meters, so they are scraped in Prometheus format at
 * {@code /q/metrics} beside the JVM's and HTTP's: samples bridged per Kafka topic, Kafka refusals, bridge
 * connections up, samples labelled and stored, receipts, human labels, retrains triggered and devices known.
 * {@code /api/stats} shows the same numbers as JSON.
 */
@Singleton
public class ServiceMeters implements MeterBinder {

    @Inject
    MqttKafkaBridge bridge;

    @Inject
    TeacherLabeler labeler;

    @Inject
    SampleStore store;

    @Inject
    ReceiptSender receipts;

    @Inject
    TriggerEngine triggers;

    @Inject
    FleetState fleet;

    @Override
    public void bindTo(MeterRegistry registry) {
        for (String topic : List.of(Topics.KAFKA_SAMPLES, Topics.KAFKA_RESULTS, Topics.KAFKA_TELEMETRY,
                Topics.KAFKA_ACKS)) {
            FunctionCounter.builder("tandem.bridge.forwarded", bridge, b -> b.forwarded().getOrDefault(topic, 0L))
                    .description("Device messages the bridge moved from MQTT into Kafka").tag("topic", topic)
                    .register(registry);
        }
        FunctionCounter.builder("tandem.bridge.kafka.refusals", bridge, MqttKafkaBridge::kafkaRefusals)
                .description("Kafka refusals that made a bridge connection drop and renew itself").register(registry);
        Gauge.builder("tandem.bridge.connections.up", bridge, MqttKafkaBridge::connectedLinks)
                .description("The bridge's MQTT connections that are up").register(registry);
        FunctionCounter.builder("tandem.labeler.labelled", labeler, TeacherLabeler::labelled)
                .description("Samples the teacher labelled in this process").register(registry);
        FunctionCounter.builder("tandem.labeler.duplicates", labeler, TeacherLabeler::duplicates)
                .description("Redelivered samples the store already held").register(registry);
        Gauge.builder("tandem.store.samples", store, SampleStore::size)
                .description("Samples in the sample store").register(registry);
        Gauge.builder("tandem.store.human.labels", store, SampleStore::humanLabels)
                .description("Samples a person labelled").register(registry);
        FunctionCounter.builder("tandem.store.left.window", store, SampleStore::leftWindow)
                .description("Samples that left the training window").register(registry);
        FunctionCounter.builder("tandem.receipts.sent", receipts, ReceiptSender::sent)
                .description("Sample receipts sent to devices").register(registry);
        FunctionCounter.builder("tandem.receipts.skipped", receipts, ReceiptSender::skipped)
                .description("Sample receipts that could not be sent (no connection); devices resend").register(registry);
        FunctionCounter.builder("tandem.retrains.triggered", triggers, TriggerEngine::fired)
                .description("Retraining rounds the triggers started").register(registry);
        Gauge.builder("tandem.fleet.devices", fleet, f -> f.devicesKnown())
                .description("Devices the cloud has heard from and still remembers").register(registry);
    }
}
