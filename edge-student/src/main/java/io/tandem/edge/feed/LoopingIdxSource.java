package io.tandem.edge.feed;

import java.nio.file.Path;

/**
 * An IDX file streamed as an endless camera: frames from {@code offset} to the end, then again from
 * {@code offset}. Only the current frame is held in memory.
 */
public final class LoopingIdxSource implements FrameSource {

    private final Path images;
    private final Path labels;
    private final long offset;
    private IdxFrameFeed feed;
    private boolean closed;

    /** Opens the files at once, so a missing or malformed file fails here rather than at the first frame. */
    public LoopingIdxSource(Path images, Path labels, long offset) {
        this.images = images;
        this.labels = labels;
        this.offset = offset;
        this.feed = new IdxFrameFeed(images, labels, offset);
    }

    @Override
    public synchronized Frame next() {
        if (closed) {
            throw new SourceClosedException(images.toString());
        }
        if (feed.remaining() == 0) {
            feed.close();
            feed = new IdxFrameFeed(images, labels, offset);
        }
        return feed.next();
    }

    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            feed.close();
        }
    }
}
