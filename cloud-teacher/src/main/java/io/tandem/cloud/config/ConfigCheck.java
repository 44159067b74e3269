package io.tandem.cloud.config;

import io.quarkus.runtime.StartupEvent;
import io.tandem.distill.train.TrainConfig;
import io.tandem.proto.Topics;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.spi.ObserverMethod;
import jakarta.annotation.Priority;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import jakarta.validation.ConstraintViolation;
import jakarta.validation.Validation;
import jakarta.validation.Validator;
import org.hibernate.validator.HibernateValidator;
import org.hibernate.validator.spi.properties.ConstrainableExecutable;
import org.hibernate.validator.spi.properties.GetterPropertySelectionStrategy;

/**
 * Refuses to start with a configuration value out of range, naming the key, rather than failing later in
 * the middle of a retrain or a rollout: the mapping's Bean Validation constraints ({@link TandemConfig}) and the
 * checks no annotation states (tokens, trigger rules, waves, URLs, one value against another).
 */
@ApplicationScoped
public class ConfigCheck {

    @Inject
    TandemConfig config;

    void check(@Observes @Priority(ObserverMethod.DEFAULT_PRIORITY - 100) StartupEvent event) {
        List<String> problems = problems(config);
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException("bad configuration: " + String.join("; ", problems));
        }
    }

    /**
     * Bean Validation over the mapping's constraints ({@code @Min}, {@code @Pattern}, ...): every method of the
     * mapping is a property, as Quarkus reads it, not only JavaBeans getters.
     */
    private static final Validator VALIDATOR = Validation.byProvider(HibernateValidator.class).configure()
            .getterPropertySelectionStrategy(new GetterPropertySelectionStrategy() {
                @Override
                public Optional<String> getProperty(ConstrainableExecutable executable) {
                    return executable.getParameterTypes().length == 0 && executable.getReturnType() != void.class
                            ? Optional.of(executable.getName()) : Optional.empty();
                }

                @Override
                public List<String> getGetterMethodNameCandidates(String propertyName) {
                    return List.of(propertyName);
                }
            }).buildValidatorFactory().getValidator();

    /** The constraints a configuration breaks, each as "tandem.section.key must ..., got value", sorted. */
    static List<String> violations(TandemConfig c) {
        List<String> out = new ArrayList<>();
        for (ConstraintViolation<TandemConfig> v : VALIDATOR.validate(c)) {
            out.add(key(v.getPropertyPath().toString()) + " " + v.getMessage() + ", got " + v.getInvalidValue());
        }
        java.util.Collections.sort(out);
        return out;
    }

    /** {@code retrain.gateSamples} as its configuration key, {@code tandem.retrain.gate-samples}. */
    static String key(String path) {
        return "tandem." + path.replaceAll("([a-z0-9])([A-Z])", "$1-$2").toLowerCase(java.util.Locale.ROOT)
                .replace("[].", ".").replaceAll("<[^>]*>", "");
    }

    /** Every out-of-range value, each as "key: reason". */
    static List<String> problems(TandemConfig c) {
        List<String> out = new ArrayList<>(violations(c));
        try {
            io.tandem.cloud.auth.ApiAuth.parse(c.auth().tokens().orElse(List.of()));
        } catch (IllegalArgumentException e) {
            out.add(e.getMessage());
        }
        TandemConfig.Retrain r = c.retrain();
        try {
            new TrainConfig(r.epochs(), r.batchSize(), r.learningRate(), r.seed(), r.temperature(), r.alpha());
        } catch (IllegalArgumentException e) {
            out.add("tandem.retrain.*: " + e.getMessage());
        }
        try {
            Topics.requireId("tandem.rollout.fleet", c.rollout().fleet());
        } catch (IllegalArgumentException e) {
            out.add(e.getMessage());
        }
        TandemConfig.Kafka k = c.kafka();
        for (int i = 0; i < c.triggers().size(); i++) {
            TandemConfig.Trigger t = c.triggers().get(i);
            try {
                new io.tandem.cloud.trigger.TriggerRule(t.metric(), t.operator(), t.threshold(), t.checkPeriodSeconds(),
                        t.group().orElse(""));
            } catch (IllegalArgumentException e) {
                out.add("tandem.triggers[" + i + "]." + e.getMessage());
            }
        }
        range(out, "tandem.store.dedupe-keys", c.store().dedupeKeys(), c.store().windowSamples(), 20_000_000);
        try {
            io.tandem.cloud.rollout.plan.Waves.parse(c.rollout().waves());
        } catch (IllegalArgumentException e) {
            out.add("tandem.rollout.waves: " + e.getMessage());
        }
        TandemConfig.Dashboard d = c.dashboard();
        c.db().url().ifPresent(u -> {
            if (!u.startsWith("jdbc:h2:") && !u.startsWith("jdbc:postgresql:")) {
                out.add("tandem.db.url must be a jdbc:h2: or jdbc:postgresql: URL, got " + u);
            }
        });
        c.mqtt().caFile().ifPresent(ca -> {
            try {
                io.tandem.proto.MqttTls.trusting(ca);
            } catch (IllegalArgumentException e) {
                out.add("tandem.mqtt.ca-file: " + e.getMessage());
            }
        });
        if (!c.publicUrl().startsWith("http://") && !c.publicUrl().startsWith("https://")) {
            out.add("tandem.public-url must be an http(s) URL devices can reach, got " + c.publicUrl());
        }
        return out;
    }

    private static void range(List<String> out, String key, long value, long min, long max) {
        if (value < min || value > max) {
            out.add(key + " must be in " + min + ".." + max + ", got " + value);
        }
    }
}
