package io.tandem.edge.inference;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtProvider;
import ai.onnxruntime.OrtSession;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Execution providers by name ({@code cpu}, {@code xnnpack}, {@code dnnl}, {@code openvino}, {@code cuda},
 * {@code tensorrt}, {@code rocm}, {@code acl}, {@code armnn}, {@code nnapi}, {@code coreml}, {@code qnn}).
 * A provider that the ONNX Runtime build in use does not contain falls back to the CPU with one log line
 * per provider name, never an error: a device keeps answering frames.
 */
public final class ExecutionProviders {

    private static final Map<String, OrtProvider> BY_NAME = Map.ofEntries(Map.entry("cpu", OrtProvider.CPU),
            Map.entry("xnnpack", OrtProvider.XNNPACK), Map.entry("dnnl", OrtProvider.DNNL),
            Map.entry("openvino", OrtProvider.OPEN_VINO), Map.entry("cuda", OrtProvider.CUDA),
            Map.entry("tensorrt", OrtProvider.TENSOR_RT), Map.entry("rocm", OrtProvider.ROCM),
            Map.entry("acl", OrtProvider.ACL), Map.entry("armnn", OrtProvider.ARM_NN),
            Map.entry("nnapi", OrtProvider.NNAPI), Map.entry("coreml", OrtProvider.CORE_ML),
            Map.entry("qnn", OrtProvider.QNN));

    private static final Set<String> WARNED = ConcurrentHashMap.newKeySet();

    private ExecutionProviders() {
    }

    /** Checks a configured name, naming the ones allowed. */
    public static String require(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        if (!BY_NAME.containsKey(n)) {
            throw new IllegalArgumentException("unknown execution provider '" + name + "', expected one of "
                    + new java.util.TreeSet<>(BY_NAME.keySet()));
        }
        return n;
    }

    /** The providers the ONNX Runtime build in use contains. */
    public static EnumSet<OrtProvider> available() {
        return OrtEnvironment.getAvailableProviders();
    }

    /**
     * Adds provider {@code name} to {@code options}.
     *
     * @return the provider that will run the model: {@code name}, or {@code cpu} after a fallback
     */
    public static String add(OrtSession.SessionOptions options, String name, int threads) {
        String n = require(name);
        OrtProvider provider = BY_NAME.get(n);
        if (provider == OrtProvider.CPU) {
            return "cpu";
        }
        if (!available().contains(provider)) {
            fallback(n, "it is not in this ONNX Runtime build (available: " + available() + ")");
            return "cpu";
        }
        try {
            switch (provider) {
                case XNNPACK -> options.addXnnpack(Map.of("intra_op_num_threads", Integer.toString(threads)));
                case DNNL -> options.addDnnl(true);
                case OPEN_VINO -> options.addOpenVINO("CPU");
                case CUDA -> options.addCUDA();
                case TENSOR_RT -> options.addTensorrt(0);
                case ROCM -> options.addROCM();
                case ACL -> options.addACL(true);
                case ARM_NN -> options.addArmNN(true);
                case NNAPI -> options.addNnapi();
                case CORE_ML -> options.addCoreML();
                case QNN -> options.addQnn(Map.of());
                default -> {
                    fallback(n, "Tandem does not configure it");
                    return "cpu";
                }
            }
            return n;
        } catch (OrtException e) {
            fallback(n, e.getMessage());
            return "cpu";
        }
    }

    private static void fallback(String name, String why) {
        if (WARNED.add(name)) {
            System.out.println("execution provider " + name + " unavailable: " + why + "; using cpu");
        }
    }
}
