package io.tandem.cloud.device;

import io.tandem.edge.feed.Frame;
import io.tandem.edge.feed.FrameSource;
import io.tandem.edge.feed.SourceClosedException;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/** Synthetic camera for device tests: dark noise, or bright frames once {@link #bright} is set; counts what it hands out. */
public final class Camera implements FrameSource {

    /** Whether frames are bright (daylight) from now on. */
    public final AtomicBoolean bright = new AtomicBoolean();
    /** Frames handed out so far. */
    public final AtomicLong produced = new AtomicLong();
    private final Random random = new Random(3);
    private volatile boolean closed;

    @Override
    public Frame next() {
        if (closed) {
            throw new SourceClosedException("camera closed");
        }
        byte[] pixels = new byte[784];
        for (int i = 0; i < pixels.length; i++) {
            pixels[i] = (byte) (bright.get() ? 230 + random.nextInt(26) : random.nextInt(90));
        }
        return new Frame(produced.getAndIncrement(), pixels, 28, 28, -1);
    }

    @Override
    public void close() {
        closed = true;
    }
}
