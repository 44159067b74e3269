package io.tandem.edge.feed;

/** Thrown by {@link FrameSource#next()} when the source was closed, also while the call was waiting. */
public final class SourceClosedException extends IllegalStateException {

    /** An exception naming the closed source. */
    public SourceClosedException(String source) {
        super(source + " is closed");
    }
}
