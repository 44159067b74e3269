package io.tandem.proto;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.util.Collection;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManagerFactory;

/**
 * TLS for the MQTT link ({@code ssl://} broker URLs): a socket factory that trusts exactly the certificates in
 * one file (PEM or DER; the broker's own or the authority that signed it), so a device pins its broker instead
 * of trusting every public authority. Host names are still verified against the certificate.
 */
public final class MqttTls {

    private MqttTls() {
    }

    /** A socket factory trusting only the certificates in {@code caFile}; names the file when it is unusable. */
    public static SSLSocketFactory trusting(Path caFile) {
        try (InputStream in = Files.newInputStream(caFile)) {
            Collection<? extends Certificate> certs = CertificateFactory.getInstance("X.509").generateCertificates(in);
            if (certs.isEmpty()) {
                throw new IllegalArgumentException("no certificate in MQTT CA file " + caFile);
            }
            KeyStore trusted = KeyStore.getInstance(KeyStore.getDefaultType());
            trusted.load(null, null);
            int i = 0;
            for (Certificate c : certs) {
                trusted.setCertificateEntry("ca-" + i++, c);
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trusted);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, tmf.getTrustManagers(), null);
            return context.getSocketFactory();
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read MQTT CA file " + caFile + ": " + e.getMessage(), e);
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("MQTT CA file " + caFile + " holds no usable certificate: "
                    + e.getMessage(), e);
        }
    }
}
