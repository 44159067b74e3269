package io.tandem.distill.train;

/** Training produced a non-finite loss; the run is abandoned rather than shipping a broken model. */
public final class TrainingDivergedException extends RuntimeException {

    /** Creates the exception with where it diverged and what to try. */
    public TrainingDivergedException(String message) {
        super(message);
    }
}
