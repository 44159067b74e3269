package io.tandem.edge.feed;

import io.tandem.proto.v1.InputSpec;

/**
 * Where a device's frames come from: a camera, a folder, a file or a scenario generator. A source never
 * runs dry on its own; it blocks or loops as a camera would.
 */
public interface FrameSource extends AutoCloseable {

    /** The next frame; may wait for it. Throws {@link SourceClosedException} once the source is closed. */
    Frame next();

    /**
     * Tells the source the input the model in service expects ({@code shape} = channels, rows, columns), so
     * a source that can (a folder of camera images) delivers frames of that size; called before the first
     * frame of each model. A fixed-size source (an IDX file) ignores it.
     */
    default void inputSpec(InputSpec spec) {
    }

    /** Closes the source; a {@link #next()} waiting in another thread returns with {@link SourceClosedException}. */
    @Override
    void close();
}
