package io.tandem.edge.feed;

/**
 * Where a device's frames come from: a camera, a folder, a file or a scenario generator. A source never
 * runs dry on its own; it blocks or loops as a camera would.
 */
public interface FrameSource extends AutoCloseable {

    /** The next frame. */
    Frame next();

    @Override
    void close();
}
