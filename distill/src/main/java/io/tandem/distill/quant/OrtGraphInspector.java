package io.tandem.distill.quant;

import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.tandem.distill.eval.OrtSessions;
import io.tandem.distill.onnx.OnnxGraphs;
import io.tandem.distill.onnx.proto.NodeProto;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

/** Shows which kernels ONNX Runtime really runs: the op types of the graph after its optimisations. */
public final class OrtGraphInspector {

    private OrtGraphInspector() {
    }

    /** Counts of op types in the model as ONNX Runtime optimises it for the CPU with all optimisations on. */
    public static Map<String, Integer> optimizedOpTypes(Path model) {
        try {
            Path optimized = Files.createTempFile("tandem-optimized", ".onnx");
            try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
                options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
                options.setOptimizedModelFilePath(optimized.toString());
                options.setIntraOpNumThreads(1);
                try (OrtSession session = OrtSessions.create(model, options)) {
                    session.getInputNames();
                }
            }
            Map<String, Integer> counts = new TreeMap<>();
            for (NodeProto node : OnnxGraphs.read(optimized).getGraph().getNodeList()) {
                counts.merge(node.getOpType(), 1, Integer::sum);
            }
            Files.deleteIfExists(optimized);
            return counts;
        } catch (OrtException e) {
            throw new IllegalArgumentException("ONNX Runtime cannot load " + model + ": " + e.getMessage(), e);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
