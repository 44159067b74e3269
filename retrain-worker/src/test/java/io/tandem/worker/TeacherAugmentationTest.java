package io.tandem.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import io.tandem.distill.train.AugmentationMix;
import io.tandem.distill.train.PhotometricAugmentation;
import io.tandem.distill.train.SiteAugmentation;
import io.tandem.proto.v1.InputSpec;
import io.tandem.proto.v1.ModelManifest;
import io.tandem.proto.v1.SiteInput;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What the teacher learns to see: the camera's range, plus the look of each group that drifted from the base data. */
class TeacherAugmentationTest {

    private static final ModelManifest TEACHER = ModelManifest.newBuilder()
            .setInput(InputSpec.newBuilder().setMean(0.286f).setStd(0.353f)).build();

    private static SiteInput site(String group, double mean, double std) {
        return SiteInput.newBuilder().setGroup(group).setMean(mean).setStd(std).build();
    }

    @Test
    void groupsThatLookLikeTheBaseDataLeaveTheCameraAugmentation() {
        assertEquals(PhotometricAugmentation.CAMERA, TeacherAdaptation.augmentation(TEACHER, List.of()));
        assertEquals(PhotometricAugmentation.CAMERA, TeacherAdaptation.augmentation(TEACHER,
                List.of(site("downtown", 0.29, 0.35), site("harbour", 0.28, 0.34))));
    }

    @Test
    void aGroupAtNightIsLearntBesideTheCamerasRange() {
        AugmentationMix mix = assertInstanceOf(AugmentationMix.class, TeacherAdaptation.augmentation(TEACHER,
                List.of(site("downtown", 0.29, 0.35), site("harbour", 0.115, 0.085))));
        assertEquals(2, mix.choices().size());
        assertEquals(PhotometricAugmentation.CAMERA, mix.choices().get(0));
        SiteAugmentation night = assertInstanceOf(SiteAugmentation.class, mix.choices().get(1));
        assertEquals(0.4, night.brightness(), 0.01);
    }
}
