package io.tandem.localstack;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class MosquittoPasswordsTest {

    /** Written by Mosquitto 2.0.11's {@code mosquitto_passwd -b pw alice s3cret}. */
    private static final String FROM_MOSQUITTO_PASSWD = "$7$101$+Pz2Y9YFQvQlAJcN$mSVBBSLdjBSxvD7aTWvJENhuyC4pEezrof56Hr"
            + "/IOPu8DOR4UwCZVZIxm5RxJyACc4fq/izB6iA2bd43ZJpiAQ==";

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void readsWhatMosquittoPasswdWrites() {
        assertTrue(MosquittoPasswords.matches(bytes("s3cret"), FROM_MOSQUITTO_PASSWD));
        assertFalse(MosquittoPasswords.matches(bytes("s3cret!"), FROM_MOSQUITTO_PASSWD));
    }

    @Test
    void refusesEntriesInOtherOrBrokenFormats() {
        assertFalse(MosquittoPasswords.matches(bytes("pw"), "5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8"));
        assertFalse(MosquittoPasswords.matches(bytes("pw"), "$6$c2FsdA==$aGFzaA=="));
        assertFalse(MosquittoPasswords.matches(bytes("pw"), "$7$x$c2FsdA==$aGFzaA=="));
        assertFalse(MosquittoPasswords.matches(bytes("pw"), "$7$101$!!$aGFzaA=="));
    }
}
