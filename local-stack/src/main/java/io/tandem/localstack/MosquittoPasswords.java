package io.tandem.localstack;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.spec.InvalidKeySpecException;
import java.util.Base64;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;

/**
 * Reads password entries in Mosquitto 2's own format, so one password file (written by the Tandem cloud or by
 * {@code mosquitto_passwd}) serves the embedded broker and Mosquitto alike:
 * {@code $7$ITERATIONS$BASE64-SALT$BASE64-HASH}, the hash being PBKDF2 with HMAC-SHA512 (64 bytes) over the
 * password and the salt.
 */
final class MosquittoPasswords {

    private MosquittoPasswords() {
    }

    /** Whether a password matches an entry; false for an entry in another or a broken format. */
    static boolean matches(byte[] password, String entry) {
        String[] parts = entry.split("\\$", -1);
        if (parts.length != 5 || !parts[0].isEmpty() || !parts[1].equals("7")) {
            return false;
        }
        try {
            int iterations = Integer.parseInt(parts[2]);
            if (iterations < 1 || iterations > 1_000_000) {
                return false;
            }
            byte[] salt = Base64.getDecoder().decode(parts[3]);
            byte[] expected = Base64.getDecoder().decode(parts[4]);
            return MessageDigest.isEqual(expected,
                    pbkdf2(new String(password, StandardCharsets.UTF_8), salt, iterations));
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    private static byte[] pbkdf2(String password, byte[] salt, int iterations) {
        try {
            return SecretKeyFactory.getInstance("PBKDF2WithHmacSHA512")
                    .generateSecret(new PBEKeySpec(password.toCharArray(), salt, iterations, 512)).getEncoded();
        } catch (NoSuchAlgorithmException | InvalidKeySpecException e) {
            throw new IllegalStateException("the JDK has no PBKDF2WithHmacSHA512", e);
        }
    }
}
