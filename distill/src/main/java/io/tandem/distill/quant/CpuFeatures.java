package io.tandem.distill.quant;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** What the CPU offers for int8 arithmetic, read from {@code /proc/cpuinfo} on Linux. */
public final class CpuFeatures {

    private CpuFeatures() {
    }

    /** Whether the CPU has VNNI (AVX512-VNNI or AVX-VNNI) int8 dot products; false when unknown. */
    public static boolean hasVnni() {
        String arch = System.getProperty("os.arch", "");
        if (!arch.contains("amd64") && !arch.contains("x86")) {
            // ARM's int8 dot products (SDOT/UDOT) do not overflow the way AVX2's pmaddubsw does.
            return true;
        }
        try {
            String flags = Files.readString(Path.of("/proc/cpuinfo"));
            return flags.contains(" avx512_vnni") || flags.contains(" avx_vnni");
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }
}
