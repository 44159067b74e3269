package io.tandem.distill.onnx;

import com.google.protobuf.ByteString;
import io.tandem.distill.onnx.proto.AttributeProto;
import io.tandem.distill.onnx.proto.ModelProto;
import io.tandem.distill.onnx.proto.NodeProto;
import io.tandem.distill.onnx.proto.TensorProto;
import io.tandem.distill.onnx.proto.TypeProto;
import io.tandem.distill.onnx.proto.ValueInfoProto;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;

/** Small builders and readers for ONNX graphs, shared by the exporter and the quantiser. */
public final class OnnxGraphs {

    private OnnxGraphs() {
    }

    /** A node with one output. */
    public static NodeProto.Builder node(String op, String name, List<String> inputs, String output) {
        return NodeProto.newBuilder().setOpType(op).setName(name).addAllInput(inputs).addOutput(output);
    }

    /** An INTS attribute. */
    public static AttributeProto ints(String name, long... values) {
        AttributeProto.Builder a = AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INTS);
        for (long v : values) {
            a.addInts(v);
        }
        return a.build();
    }

    /** An INT attribute. */
    public static AttributeProto intAttr(String name, long value) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INT).setI(value).build();
    }

    /** A FLOAT attribute. */
    public static AttributeProto floatAttr(String name, float value) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.FLOAT).setF(value).build();
    }

    /** The INT attribute {@code name} of a node, or {@code fallback}. */
    public static long intAttr(NodeProto node, String name, long fallback) {
        return node.getAttributeList().stream().filter(a -> a.getName().equals(name)).findFirst()
                .map(AttributeProto::getI).orElse(fallback);
    }

    /** A float tensor with raw little-endian data. */
    public static TensorProto floatTensor(String name, float[] data, long... dims) {
        checkCount(name, data.length, dims);
        ByteBuffer buf = ByteBuffer.allocate(data.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        buf.asFloatBuffer().put(data);
        return tensor(name, TensorProto.DataType.FLOAT_VALUE, buf.array(), dims);
    }

    /** An int32 tensor with raw little-endian data. */
    public static TensorProto int32Tensor(String name, int[] data, long... dims) {
        checkCount(name, data.length, dims);
        ByteBuffer buf = ByteBuffer.allocate(data.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        buf.asIntBuffer().put(data);
        return tensor(name, TensorProto.DataType.INT32_VALUE, buf.array(), dims);
    }

    /** An 8-bit tensor ({@code INT8} or {@code UINT8}) from values already in range. */
    public static TensorProto byteTensor(String name, int dataType, int[] data, long... dims) {
        checkCount(name, data.length, dims);
        byte[] bytes = new byte[data.length];
        for (int i = 0; i < data.length; i++) {
            bytes[i] = (byte) data[i];
        }
        return tensor(name, dataType, bytes, dims);
    }

    private static TensorProto tensor(String name, int dataType, byte[] raw, long... dims) {
        TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(dataType)
                .setRawData(ByteString.copyFrom(raw));
        for (long d : dims) {
            t.addDims(d);
        }
        return t.build();
    }

    private static void checkCount(String name, int count, long... dims) {
        long expected = 1;
        for (long d : dims) {
            expected *= d;
        }
        if (expected != count) {
            throw new IllegalStateException(name + " has " + count + " values, shape needs " + expected);
        }
    }

    /** The values of a float initializer (raw or float_data). */
    public static float[] floats(TensorProto t) {
        if (t.getDataType() != TensorProto.DataType.FLOAT_VALUE) {
            throw new IllegalArgumentException("initializer " + t.getName() + " is not float");
        }
        if (!t.getRawData().isEmpty()) {
            float[] out = new float[t.getRawData().size() / 4];
            t.getRawData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(out);
            return out;
        }
        float[] out = new float[t.getFloatDataCount()];
        for (int i = 0; i < out.length; i++) {
            out[i] = t.getFloatData(i);
        }
        return out;
    }

    /** A graph output or input of float elements, with no declared shape. */
    public static ValueInfoProto floatValue(String name) {
        return ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder()
                .setTensorType(TypeProto.Tensor.newBuilder().setElemType(TensorProto.DataType.FLOAT_VALUE))).build();
    }

    /** Reads an ONNX file, naming the file when it is not a valid ModelProto. */
    public static ModelProto read(Path file) {
        try {
            ModelProto m = ModelProto.parseFrom(Files.readAllBytes(file));
            if (!m.hasGraph() || m.getGraph().getNodeCount() == 0) {
                throw new IllegalArgumentException(file + " is not an ONNX model: it has no graph");
            }
            return m;
        } catch (com.google.protobuf.InvalidProtocolBufferException e) {
            throw new IllegalArgumentException(file + " is not an ONNX model (corrupt or another format): "
                    + e.getMessage(), e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    /** Writes a model atomically (temporary file, then rename). */
    public static Path write(ModelProto model, Path file) {
        try {
            Path dir = file.toAbsolutePath().getParent();
            Files.createDirectories(dir);
            Path tmp = Files.createTempFile(dir, file.getFileName().toString(), ".tmp");
            Files.write(tmp, model.toByteArray());
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write ONNX file " + file, e);
        }
    }
}
