package io.tandem.cloud.devices;

import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.security.spec.InvalidKeySpecException;
import java.util.Base64;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;

/**
 * Password entries as Mosquitto 2 reads them ({@code mosquitto_passwd}'s format), so the password file the
 * cloud writes serves Mosquitto and the embedded broker alike: {@code $7$101$BASE64-SALT$BASE64-HASH}, the hash
 * being PBKDF2 with HMAC-SHA512 (64 bytes, 101 iterations) over the password and a fresh 12-byte salt.
 */
final class MqttPasswords {

    /** The iteration count {@code mosquitto_passwd} uses. */
    static final int ITERATIONS = 101;
    private static final SecureRandom RANDOM = new SecureRandom();

    private MqttPasswords() {
    }

    /** The entry for a password. */
    static String entry(String password) {
        byte[] salt = new byte[12];
        RANDOM.nextBytes(salt);
        try {
            byte[] hash = SecretKeyFactory.getInstance("PBKDF2WithHmacSHA512")
                    .generateSecret(new PBEKeySpec(password.toCharArray(), salt, ITERATIONS, 512)).getEncoded();
            Base64.Encoder b64 = Base64.getEncoder();
            return "$7$" + ITERATIONS + "$" + b64.encodeToString(salt) + "$" + b64.encodeToString(hash);
        } catch (NoSuchAlgorithmException | InvalidKeySpecException e) {
            throw new IllegalStateException("the JDK has no PBKDF2WithHmacSHA512", e);
        }
    }
}
