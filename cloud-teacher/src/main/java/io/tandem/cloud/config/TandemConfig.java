package io.tandem.cloud.config;

import io.smallrye.config.ConfigMapping;
import io.tandem.distill.data.FashionMnist;
import io.smallrye.config.WithDefault;
import jakarta.validation.Valid;
import jakarta.validation.constraints.DecimalMax;
import jakarta.validation.constraints.DecimalMin;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.Pattern;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Configuration of the cloud teacher, under the {@code tandem.} prefix. Every key and its default is
 * listed in {@code docs/configuration.md}.
 */
@ConfigMapping(prefix = "tandem")
public interface TandemConfig {

    /** Folder for the model registry, the sample store and caches. */
    @WithDefault("target/tandem-cloud")
    Path dataDir();

    /** URL under which devices reach this service's HTTP API; artifact URLs in deploy commands use it. */
    @WithDefault("http://127.0.0.1:8080")
    String publicUrl();

    /** MQTT side. */
    @Valid
    Mqtt mqtt();

    /** Kafka side. */
    @Valid
    Kafka kafka();

    /** The teacher model. */
    @Valid
    Teacher teacher();

    /** Retraining. */
    @Valid
    Retrain retrain();

    /** Rollouts. */
    @Valid
    Rollout rollout();

    /** The control plane's database. */
    @Valid
    Db db();

    /** Drift detection. */
    @Valid
    Drift drift();

    /** The sample store's memory bounds. */
    @Valid
    Store store();

    /** Extra retrain triggers, in Sedna's shape; {@code new_labelled_samples >= retrain.threshold} is built in. */
    java.util.List<@Valid Trigger> triggers();

    /** One retrain trigger: {@code tandem.triggers[0].metric=drift_score}, {@code .operator=>}, ... */
    interface Trigger {
        /** drift_score, escalation_rate, new_labelled_samples, new_human_labels or seconds_since_training. */
        String metric();

        /** One of {@code > >= < <= ==}. */
        @WithDefault(">")
        String operator();

        /** The value the metric is compared with. */
        double threshold();

        /** How often the rule is checked, in seconds, 1..86400. */
        @WithDefault("10")
        @Min(1) @Max(86400)
        int checkPeriodSeconds();

        /** The device group a group metric is restricted to; all groups when absent. */
        Optional<String> group();
    }

    /** The MQTT-to-Kafka bridge. */
    @Valid
    Bridge bridge();

    /** The MQTT-to-Kafka bridge's connections. */
    interface Bridge {
        /** Whether the bridge starts. */
        @WithDefault("true")
        boolean enabled();

        /**
         * MQTT connections the bridge spreads device messages over, 1..64. Above 1 they share one MQTT shared
         * subscription ({@code $share/<group>/...}, Mosquitto, EMQX, HiveMQ; not the embedded Moquette), so the
         * broker hands each message to one of them and its in-flight window counts per connection.
         */
        @WithDefault("1")
        @Min(1) @Max(64)
        int connections();

        /** The shared-subscription group the connections join when there are several. */
        @WithDefault("tandem-bridge")
        @Pattern(regexp = "[A-Za-z0-9_-]{1,64}", message = "must be 1 to 64 letters, digits, '_' or '-'")
        String sharedGroup();
    }

    /** The teacher labeler. */
    Component labeler();

    /** The fleet-state consumer of acknowledgements, telemetry and results. */
    @Valid
    Fleet fleet();

    /** The fleet-state consumer and its memory bounds. */
    interface Fleet {
        /** Whether the consumer starts. */
        @WithDefault("true")
        boolean enabled();

        /** Devices kept; beyond it the one silent longest is forgotten and counted, 1..10,000,000. */
        @WithDefault("100000")
        @Min(1) @Max(10000000)
        int maxDevices();

        /** Model versions whose status and results each device keeps (the newest), 1..1,000. */
        @WithDefault("32")
        @Min(1) @Max(1000)
        int versionsPerDevice();

        /** Seconds between two saves of the devices that changed to the database, 1..3600. */
        @WithDefault("5")
        @Min(1) @Max(3600)
        int saveSeconds();
    }

    /** A part of the service that can be switched off, e.g. in tests without brokers. */
    interface Component {
        /** Whether the component starts. */
        @WithDefault("true")
        boolean enabled();
    }

    /** MQTT settings. */
    interface Mqtt {
        /** Broker URL. */
        @WithDefault("tcp://127.0.0.1:1883")
        String url();

        /** Client id of the bridge; its session is persistent, so keep it stable. */
        @WithDefault("tandem-cloud-bridge")
        String clientId();

        /** QoS 1 messages in flight per client, 10..65535; Paho's own default of 10 stalls under load. */
        @WithDefault("1000")
        @Min(10) @Max(65535)
        int maxInflight();

        /** Keep-alive interval in seconds, 1..3600. */
        @WithDefault("10")
        @Min(1) @Max(3600)
        int keepAliveSeconds();

        /** The cloud's MQTT user name, when the broker requires credentials. */
        @WithDefault("tandem-cloud")
        String username();

        /**
         * Whether the bridge keeps a persistent MQTT session, so the broker queues device messages while it is
         * away (up to the broker's per-session limit). Off by default: devices keep each sample until the cloud's
         * receipt and send it again, so nothing depends on the broker's queue.
         */
        @WithDefault("false")
        boolean persistentSession();

        /** The cloud's MQTT password; none = connect anonymously (a broker without credentials). */
        Optional<String> password();

        /**
         * For an {@code ssl://} broker URL: the certificates (PEM or DER) the cloud trusts, the broker's own or its
         * authority's; none = the JVM's trust store.
         */
        Optional<Path> caFile();

        /**
         * Folder of the broker's {@code passwords} and {@code acl} files, which the cloud writes: its own user,
         * the devices it issued credentials to, and the topic rights. None = the cloud issues no credentials.
         */
        Optional<Path> authDir();
    }

    /** Kafka settings. */
    interface Kafka {
        /** Bootstrap servers. */
        @WithDefault("127.0.0.1:9092")
        String bootstrapServers();

        /** Create Tandem's topics at start when they are missing. */
        @WithDefault("true")
        boolean createTopics();

        /** Partitions of each topic the service creates, 1..1024. */
        @WithDefault("4")
        @Min(1) @Max(1024)
        int topicPartitions();

        /** Replication factor of each topic the service creates, 1..16. */
        @WithDefault("1")
        @Min(1) @Max(16)
        short topicReplicationFactor();

        /** Producer {@code linger.ms}: how long the bridge waits to fill a batch, 0..1000. */
        @WithDefault("5")
        @Min(0) @Max(1000)
        int lingerMs();

        /** Producer {@code delivery.timeout.ms}: how long a record may take to be acknowledged, 1000..86400000. */
        @WithDefault("120000")
        @Min(1000) @Max(86400000)
        int deliveryTimeoutMs();

        /**
         * This service's stable name in the consumer groups ({@code group.instance.id}, static membership), so
         * a restarted service takes its partitions back at once; unique per replica; none = the host name.
         */
        Optional<String> instanceId();

        /** Consumer {@code max.poll.records}: records the labeler and fleet state take per poll, 1..10000. */
        @WithDefault("256")
        @Min(1) @Max(10000)
        int maxPollRecords();
    }

    /** Teacher settings. */
    interface Teacher {
        /** Teacher ONNX file (any classifier with the student's input), with its manifest beside it. */
        Optional<Path> onnx();

        /** ONNX Runtime intra-op threads for labelling. */
        @WithDefault("1")
        @Min(1)
        int threads();
    }

    /** Retraining settings. */
    interface Retrain {
        /** New labelled samples that trigger a retrain; 1..1,000,000. */
        @WithDefault("500")
        @Min(1) @Max(1000000)
        int threshold();

        /** Most automatic retrains per process; 0 means no limit. */
        @WithDefault("0")
        @Min(0)
        int maxRounds();

        /** Student architecture. */
        @WithDefault("student-tiny")
        String student();

        /** Folder with Fashion-MNIST, the base training data. */
        @WithDefault(FashionMnist.DEBIAN_FOLDER)
        Path baseData();

        /** First N base training images used; all when larger than the set. */
        @WithDefault("60000")
        @Min(1)
        int baseLimit();

        /** Held-out test images for the manifest's accuracy. */
        @WithDefault("2000")
        @Min(1)
        int evalLimit();

        /** Epochs. */
        @WithDefault("3")
        int epochs();

        /** Batch size. */
        @WithDefault("64")
        int batchSize();

        /** Learning rate. */
        @WithDefault("0.001")
        float learningRate();

        /** Distillation temperature (distill's TrainConfig.DEFAULT_TEMPERATURE). */
        @WithDefault("1")
        float temperature();

        /** Weight of the distillation term (distill's TrainConfig.DEFAULT_ALPHA). */
        @WithDefault("0.3")
        float alpha();

        /** Seed. */
        @WithDefault("42")
        long seed();

        /** Base images per adaptation round (a prefix of the base data), 100..1,000,000. */
        @WithDefault("6000")
        @Min(100) @Max(1000000)
        int adaptationBaseLimit();

        /** Whether rounds fine-tune the teacher on the fleet's data (co-evolution). */
        @WithDefault("true")
        boolean teacherAdaptation();

        /** New human labels a teacher round waits for, 0..100,000. */
        @WithDefault("5")
        @Min(0) @Max(100000)
        int teacherMinNewHumanLabels();

        /** Epochs of a teacher round, 1..100. */
        @WithDefault("1")
        @Min(1) @Max(100)
        int teacherEpochs();

        /** Learning rate of a teacher round (Adam). */
        @WithDefault("0.0003")
        @DecimalMin(value = "0", inclusive = false) @DecimalMax(value = "1", inclusive = false)
        float teacherLearningRate();

        /** Top probability at which the teacher's own label of a sample is trusted as a pseudo-label, (0, 1]. */
        @WithDefault("0.9")
        @DecimalMin(value = "0", inclusive = false) @DecimalMax("1")
        float pseudoLabelConfidence();

        /** Times each human-labelled sample is repeated in a teacher round, 1..100. */
        @WithDefault("5")
        @Min(1) @Max(100)
        int humanRepeat();

        /** Whether each round also distils a student for the whole fleet (the bootstrap v1 always is). */
        @WithDefault("true")
        boolean fleetStudent();

        /** Whether a student is distilled for each device group beside the fleet's. */
        @WithDefault("true")
        boolean siteStudents();

        /** Samples a group must have sent before it gets a student of its own, 1..1,000,000. */
        @WithDefault("40")
        @Min(1) @Max(1000000)
        int siteMinSamples();

        /**
         * Most recent samples of a group the gate draws from (their random audits, which students never train on,
         * once there are 8, else their held-out third; a fleet student on every group's), 10..100,000.
         */
        @WithDefault("150")
        @Min(10) @Max(100000)
        int gateSamples();

        /**
         * How students ship: {@code auto} (INT8 in the form fastest on the devices' CPU, taken to be like this
         * machine's), {@code qdq} (integer kernels), {@code weight-only}, or {@code off} (FP32).
         */
        @WithDefault("auto")
        @Pattern(regexp = "auto|qdq|weight-only|off", message = "must be auto, qdq, weight-only or off")
        String int8();

        /** Whether retraining (and the bootstrap of v1) runs at all. */
        @WithDefault("true")
        boolean enabled();

        /** Distil v1 from the teacher at start when the registry has no student. */
        @WithDefault("true")
        boolean bootstrap();

        /**
         * Seconds a retrain worker may go without a progress report before its run goes back to the queue for
         * another worker, 10..86,400 (workers report every 2 s).
         */
        @WithDefault("120")
        @Min(10) @Max(86400)
        int leaseSeconds();

        /** Times a run is handed out before it fails for good (workers that died on it), 1..100. */
        @WithDefault("3")
        @Min(1) @Max(100)
        int maxAttempts();
    }

    /** Drift detection settings. */
    interface Drift {
        /** Frames a newly deployed version answers in a group before its baseline is complete, 10..1,000,000. */
        @WithDefault("400")
        @Min(10) @Max(1000000)
        long baselineFrames();

        /** Frames of the recent span compared with the baseline, 10..1,000,000. */
        @WithDefault("400")
        @Min(10) @Max(1000000)
        long recentFrames();
    }

    /** The live dashboard ({@code /dashboard/}) and the loop history it plots. */
    @Valid
    Dashboard dashboard();

    /** Dashboard settings. */
    interface Dashboard {
        /** Seconds between two samples of the loop per site, 1..3600. */
        @WithDefault("5")
        @Min(1) @Max(3600)
        int sampleSeconds();

        /** Samples kept per site (and drift onsets in all), 10..100,000. */
        @WithDefault("720")
        @Min(10) @Max(100000)
        int points();

        /** A site's drift onset: its drift score rising above this, 0..1. */
        @WithDefault("0.2")
        @DecimalMin("0") @DecimalMax("1")
        double driftOnset();

        /** Seconds between two live updates pushed to an open dashboard, 1..3600. */
        @WithDefault("2")
        @Min(1) @Max(3600)
        int pushSeconds();

        /** A device silent this long is shown as silent, 1..86,400. */
        @WithDefault("120")
        @Min(1) @Max(86400)
        int silentSeconds();

        /** Samples of the label queue shown, 0..1,000. */
        @WithDefault("50")
        @Min(0) @Max(1000)
        int labelRows();

        /** Rollout plans shown, newest first, 1..1,000. */
        @WithDefault("50")
        @Min(1) @Max(1000)
        int rolloutRows();
    }

    /** The sample store's memory bounds: older samples stay in its file. */
    interface Store {
        /** The most recent samples held in memory and trained on (plus those a person labelled), 1..2,000,000. */
        @WithDefault("50000")
        @Min(1) @Max(2000000)
        int windowSamples();

        /** Keys whose content is remembered to recognise redeliveries and reused sequences, window..20,000,000. */
        @WithDefault("1000000")
        int dedupeKeys();
    }

    /** Joint inference: the teacher answering the frames devices escalate ({@code POST /api/teacher/infer}). */
    @Valid
    Joint joint();

    /** Joint inference settings. */
    interface Joint {
        /** Serve the teacher endpoint. */
        @WithDefault("true")
        boolean enabled();

        /** Frames that may wait for the teacher; beyond it requests get 429 with a retry hint. 1..1,000,000. */
        @WithDefault("1024")
        @Min(1) @Max(1000000)
        int queueCapacity();

        /** Frames the teacher answers in one batch, 1..1024. */
        @WithDefault("64")
        @Min(1) @Max(1024)
        int maxBatch();

        /** How long the first frame of a batch waits for others, in ms, 0..100. */
        @WithDefault("2")
        @Min(0) @Max(100)
        int maxWaitMs();
    }

    /** REST authentication. */
    Auth auth();

    /** REST authentication settings. */
    interface Auth {
        /**
         * Bearer tokens as {@code ROLE:SHA256-OF-TOKEN} (roles operator, device, reader); none = an open API,
         * which the service warns about at start.
         */
        Optional<java.util.List<String>> tokens();
    }

    /** Model signing. */
    @Valid
    Signing signing();

    /** Model signing settings. */
    interface Signing {
        /** How long a signed deploy statement may be applied, in hours, 1..8760. */
        @WithDefault("168")
        @Min(1) @Max(8760)
        int validityHours();
    }

    /** Rollout settings. */
    interface Rollout {
        /** Fleet that new students are rolled out to automatically. */
        @WithDefault("default")
        String fleet();

        /** Roll out every new student automatically. */
        @WithDefault("true")
        boolean auto();

        /** Confidence threshold sent with deploy commands: inputs under it are escalated. */
        @WithDefault("0.6")
        @DecimalMin("0") @DecimalMax("1")
        float confidenceThreshold();

        /**
         * The waves a promoted student ships in, each a device count or a percentage of the target
         * ({@code 5%,15%,100%}); the last wave takes every device left.
         */
        @WithDefault("100%")
        java.util.List<String> waves();

        /** Share of a wave's devices that must run the new version before the next wave starts, 0..1. */
        @WithDefault("0.9")
        @DecimalMin("0") @DecimalMax("1")
        double successThreshold();

        /** How long a wave is watched after it reached the success threshold before the next one starts. */
        @WithDefault("0")
        @Min(0) @Max(86400)
        int soakSeconds();

        /** How often running plans are evaluated, in milliseconds, 100..60000. */
        @WithDefault("1000")
        @Min(100) @Max(60000)
        int tickMs();
    }

    /** The database of rollout plans: an embedded H2 file by default, PostgreSQL by a {@code jdbc:postgresql:} URL. */
    interface Db {
        /** JDBC URL; none = an H2 file at {@code data-dir/db/tandem}. */
        Optional<String> url();

        /** Database user (H2's default file has {@code sa}). */
        @WithDefault("sa")
        String username();

        /** Database password; none = empty. */
        Optional<String> password();

        /** Connections in the pool, 2..64 (Flyway holds two while it migrates). */
        @WithDefault("4")
        @Min(2) @Max(64)
        int poolSize();
    }
}
