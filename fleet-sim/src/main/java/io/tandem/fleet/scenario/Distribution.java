package io.tandem.fleet.scenario;

import java.util.List;
import java.util.Random;

/**
 * What a site's cameras see: the base frames through a chain of transforms, applied in order.
 *
 * @param name the name scenarios refer to it by
 * @param transforms pixel transforms and at most one class mix
 */
public record Distribution(String name, List<Transform> transforms) {

    /** Checks that at most one class mix is given. */
    public Distribution {
        transforms = List.copyOf(transforms);
        Scenario.require(transforms.stream().filter(t -> t instanceof Transform.ClassMix).count() <= 1,
                "distribution " + name + " has more than one class_mix");
    }

    /** The class mix, if the distribution has one. */
    public java.util.Optional<Transform.ClassMix> classMix() {
        return transforms.stream().filter(t -> t instanceof Transform.ClassMix).map(t -> (Transform.ClassMix) t)
                .findFirst();
    }

    /** The frame as this distribution's cameras would capture it. */
    public byte[] render(byte[] pixels, int rows, int cols, Random random) {
        byte[] out = pixels;
        for (Transform t : transforms) {
            out = t.apply(out, rows, cols, random);
        }
        return out;
    }
}
