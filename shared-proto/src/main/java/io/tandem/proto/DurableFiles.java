package io.tandem.proto;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/** Files replaced whole so that a power loss leaves the old content or the new, never a mix or nothing. */
public final class DurableFiles {

    private DurableFiles() {
    }

    /**
     * Writes {@code bytes} to a temporary file beside {@code file}, fsyncs it, renames it over {@code file}
     * and fsyncs the folder, so the rename itself survives a power loss.
     */
    public static void replace(Path file, byte[] bytes) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer b = ByteBuffer.wrap(bytes);
            while (b.hasRemaining()) {
                ch.write(b);
            }
            ch.force(true);
        }
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        RecordFiles.syncFolder(file.getParent() == null ? Path.of(".") : file.getParent());
    }
}
