package io.tandem.edge.feed;

/**
 * One captured input.
 *
 * @param index the source's own id of the frame (position in a file, a camera's frame counter); it travels
 *     with the frame's result and hard example so whoever made the frame can recognise it
 * @param pixels raw unsigned-byte pixels, row-major
 * @param rows height
 * @param cols width
 * @param groundTruth the true class when the feed knows it (evaluation feeds), else -1
 */
public record Frame(long index, byte[] pixels, int rows, int cols, int groundTruth) {

    /** Whether the feed knows this frame's class. */
    public boolean hasGroundTruth() {
        return groundTruth >= 0;
    }
}
