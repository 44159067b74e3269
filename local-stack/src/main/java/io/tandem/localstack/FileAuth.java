package io.tandem.localstack;

import io.moquette.broker.security.IAuthenticator;
import io.moquette.broker.security.IAuthorizatorPolicy;
import io.moquette.broker.subscriptions.Topic;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Credentials and topic rights of the embedded MQTT broker, from two files in one folder, read again when
 * they change (so credentials issued or revoked while the broker runs take effect without a restart):
 * <ul>
 * <li>{@code passwords}: one {@code user:ENTRY} per line, in Mosquitto's format ({@link MosquittoPasswords}),
 * so the same file serves Mosquitto;</li>
 * <li>{@code acl}: Mosquitto's ACL syntax: {@code user NAME} starts a user's rules, {@code topic
 * read|write|readwrite FILTER} grants one, {@code pattern read|write|readwrite FILTER} grants one to every
 * user, with {@code %u} standing for the user name.</li>
 * </ul>
 * Without a valid user name and password a client cannot connect; without a rule it can neither publish
 * nor subscribe.
 */
final class FileAuth implements IAuthenticator, IAuthorizatorPolicy {

    private record Rule(boolean read, boolean write, String filter) {
    }

    private final Path passwordsFile;
    private final Path aclFile;
    private Map<String, String> passwords = Map.of();
    private Map<String, List<Rule>> rules = Map.of();
    private List<Rule> patterns = List.of();
    private long loadedStamp = -1;
    private long checkedAt;

    FileAuth(Path dir) {
        this.passwordsFile = dir.resolve("passwords");
        this.aclFile = dir.resolve("acl");
        reload();
    }

    private synchronized void reload() {
        reload(false);
    }

    /** Reads the files again if they changed; on the publish path at most every 500 ms, at a login always. */
    private synchronized void reload(boolean atLogin) {
        long time = System.currentTimeMillis();
        if (!atLogin && loadedStamp >= 0 && time - checkedAt < 500) {
            return;
        }
        checkedAt = time;
        long stamp = stamp(passwordsFile) * 31 + stamp(aclFile);
        if (stamp == loadedStamp) {
            return;
        }
        Map<String, String> p = new HashMap<>();
        Map<String, List<Rule>> r = new HashMap<>();
        List<Rule> pat = new ArrayList<>();
        try {
            if (Files.isRegularFile(passwordsFile)) {
                for (String line : Files.readAllLines(passwordsFile)) {
                    int colon = line.indexOf(':');
                    if (!line.isBlank() && !line.startsWith("#") && colon > 0) {
                        p.put(line.substring(0, colon).trim(), line.substring(colon + 1).trim());
                    }
                }
            }
            if (Files.isRegularFile(aclFile)) {
                String user = null;
                for (String raw : Files.readAllLines(aclFile)) {
                    String line = raw.trim();
                    if (line.isEmpty() || line.startsWith("#")) {
                        continue;
                    }
                    String[] w = line.split("\\s+", 3);
                    if (w[0].equals("user") && w.length >= 2) {
                        user = w[1];
                    } else if ((w[0].equals("topic") || w[0].equals("pattern")) && w.length == 3) {
                        Rule rule = new Rule(!w[1].equals("write"), !w[1].equals("read"), w[2]);
                        if (w[0].equals("pattern")) {
                            pat.add(rule);
                        } else if (user != null) {
                            r.computeIfAbsent(user, k -> new ArrayList<>()).add(rule);
                        }
                    } else {
                        System.err.println("mqtt acl: ignoring line '" + line + "'");
                    }
                }
            }
        } catch (IOException e) {
            System.err.println("mqtt auth: cannot read " + passwordsFile.getParent() + ": " + e.getMessage());
            return;
        }
        passwords = p;
        rules = r;
        patterns = pat;
        loadedStamp = stamp;
    }

    private static long stamp(Path file) {
        try {
            return Files.isRegularFile(file) ? Files.getLastModifiedTime(file).toMillis() ^ Files.size(file) : 0;
        } catch (IOException e) {
            return 0;
        }
    }

    @Override
    public boolean checkValid(String clientId, String username, byte[] password) {
        reload(true);
        if (username == null || password == null) {
            return false;
        }
        String expected;
        synchronized (this) {
            expected = passwords.get(username);
        }
        return expected != null && MosquittoPasswords.matches(password, expected);
    }

    @Override
    public boolean canWrite(Topic topic, String user, String client) {
        return allowed(topic.toString(), user, false);
    }

    @Override
    public boolean canRead(Topic topic, String user, String client) {
        return allowed(topic.toString(), user, true);
    }

    private boolean allowed(String topic, String user, boolean read) {
        reload();
        if (user == null) {
            return false;
        }
        List<Rule> mine;
        List<Rule> all;
        synchronized (this) {
            mine = rules.getOrDefault(user, List.of());
            all = patterns;
        }
        for (Rule r : mine) {
            if ((read ? r.read() : r.write()) && covers(r.filter(), topic)) {
                return true;
            }
        }
        for (Rule r : all) {
            if ((read ? r.read() : r.write()) && covers(r.filter().replace("%u", user), topic)) {
                return true;
            }
        }
        return false;
    }

    /** Whether ACL filter {@code rule} covers {@code topic}, itself possibly a subscription filter. */
    static boolean covers(String rule, String topic) {
        String[] r = rule.split("/", -1);
        String[] t = topic.split("/", -1);
        for (int i = 0; i < r.length; i++) {
            if (r[i].equals("#")) {
                return true;
            }
            if (i >= t.length) {
                return false;
            }
            if (r[i].equals("+")) {
                if (t[i].equals("#")) {
                    return false;
                }
                continue;
            }
            if (!r[i].equals(t[i])) {
                return false;
            }
        }
        return r.length == t.length;
    }
}
