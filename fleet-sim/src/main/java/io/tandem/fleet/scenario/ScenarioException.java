package io.tandem.fleet.scenario;

/** A scenario that cannot run: a bad value, an unknown name or a file that is not a scenario. */
public final class ScenarioException extends IllegalArgumentException {

    /** An error with a message that names what is wrong. */
    public ScenarioException(String message) {
        super(message);
    }
}
