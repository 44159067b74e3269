package io.tandem.distill.train;

/**
 * Puts DJL in offline mode before any DJL class starts, so its engine start never contacts a cloud
 * metadata address or a telemetry URL, and sets libtorch's thread counts.
 *
 * <p>Every entry point calls {@link #configure()} first; classes that touch DJL also call it from their
 * static initialiser as a safety net.
 */
public final class DjlRuntime {

    /** Environment variable that sets libtorch's intra-op threads when the system property is absent. */
    public static final String THREADS_ENV = "TANDEM_TORCH_THREADS";

    private DjlRuntime() {
    }

    /** Sets {@code ai.djl.offline}, {@code OPT_OUT_TRACKING} and the thread properties if unset. */
    public static void configure() {
        System.setProperty("ai.djl.offline", "true");
        System.setProperty("OPT_OUT_TRACKING", "true");
        if (System.getProperty("ai.djl.pytorch.num_threads") == null) {
            String env = System.getenv(THREADS_ENV);
            int threads = env != null ? Integer.parseInt(env.trim()) : Runtime.getRuntime().availableProcessors();
            System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(threads));
        }
        if (System.getProperty("ai.djl.pytorch.num_interop_threads") == null) {
            System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
        }
    }
}
