package io.tandem.cloud.retrain;

import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/**
 * The service carries no DJL and no libtorch: training runs in retrain workers. The test class path is the
 * service's own plus test libraries, none of which brings DJL, so a DJL class here means the service has one.
 */
class NoTrainingInServiceTest {

    @Test
    void djlIsNotOnTheServicesClassPath() {
        assertThrows(ClassNotFoundException.class, () -> Class.forName("ai.djl.Model"), "DJL's API");
        assertThrows(ClassNotFoundException.class, () -> Class.forName("ai.djl.pytorch.engine.PtEngine"),
                "DJL's PyTorch engine");
        assertThrows(ClassNotFoundException.class, () -> Class.forName("ai.djl.pytorch.jni.LibUtils"),
                "libtorch's loader");
    }
}
