package io.tandem.edge.feed;

/**
 * Where a device's frames come from: a camera, a folder, a file or a scenario generator. A source never
 * runs dry on its own; it blocks or loops as a camera would.
 */
public interface FrameSource extends AutoCloseable {

    /** The next frame; may wait for it. Throws {@link SourceClosedException} once the source is closed. */
    Frame next();

    /** Closes the source; a {@link #next()} waiting in another thread returns with {@link SourceClosedException}. */
    @Override
    void close();
}
