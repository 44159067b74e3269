package io.tandem.edge.gate;

import io.tandem.proto.v1.GateReason;
import java.util.Optional;

/** Decides which answered frames a device uploads, from the class probabilities of its student. */
public interface Gate {

    /** The reason to upload a frame with these probabilities, or empty to keep it on the device. */
    Optional<GateReason> check(float[] probabilities);

    /** The score threshold in force, reported with each upload. */
    float threshold();
}
