package io.tandem.fleet.scenario;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads scenarios from JSON files. Every key is checked: an unknown key, a missing one or a value of the
 * wrong type is refused with its path ({@code groups[1].devices}). Built-in scenarios ship as the same
 * files, on the class path under {@code scenarios/NAME.json}.
 *
 * <pre>
 * {"name": "night-harbour", "seed": 7, "rounds": 6, "frames_per_device_per_round": 200,
 *  "eval_frames_per_group": 1000,
 *  "distributions": {"day": [], "night": [{"type": "darken", "factor": 0.4}, {"type": "noise", "sigma": 10}]},
 *  "groups": [{"name": "downtown", "devices": 6, "distribution": "day"}],
 *  "timeline": [{"round": 2, "group": "downtown", "distribution": "night"}],
 *  "budgets": {"upload_fraction": 0.08, "audit_fraction": 0.01, "human_labels_per_round": 30}}
 * </pre>
 */
public final class ScenarioFile {

    /** Names of the scenarios that ship with Tandem. */
    public static final List<String> BUILT_IN = List.of("night-harbour", "cargo-harbour", "covered-quays", "fog-and-mix");

    private static final ObjectMapper JSON = new ObjectMapper();

    private ScenarioFile() {
    }

    /** A built-in scenario by name, or a scenario file by path. */
    public static Scenario load(String nameOrFile) {
        if (BUILT_IN.contains(nameOrFile)) {
            try (InputStream in = ScenarioFile.class.getResourceAsStream("/scenarios/" + nameOrFile + ".json")) {
                if (in == null) {
                    throw new ScenarioException("built-in scenario " + nameOrFile + " is missing from the build");
                }
                return parse(new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8), nameOrFile);
            } catch (IOException e) {
                throw new ScenarioException("cannot read built-in scenario " + nameOrFile + ": " + e.getMessage());
            }
        }
        Path file = Path.of(nameOrFile);
        if (!Files.isRegularFile(file)) {
            throw new ScenarioException("unknown scenario '" + nameOrFile + "': not a built-in one " + BUILT_IN
                    + " and no such file");
        }
        try {
            return parse(Files.readString(file), file.toString());
        } catch (IOException e) {
            throw new ScenarioException("cannot read scenario " + file + ": " + e.getMessage());
        }
    }

    /** Parses a scenario; {@code source} names it in errors. */
    public static Scenario parse(String json, String source) {
        JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new ScenarioException(source + " is not valid JSON: " + e.getOriginalMessage());
        }
        try {
            return scenario(new Node(root, ""));
        } catch (ScenarioException e) {
            throw new ScenarioException(source + ": " + e.getMessage());
        }
    }

    private static Scenario scenario(Node n) {
        n.only("name", "description", "seed", "rounds", "frames_per_device_per_round", "eval_frames_per_group",
                "distributions", "groups", "timeline", "budgets");
        Map<String, Distribution> distributions = new LinkedHashMap<>();
        Node d = n.object("distributions");
        for (Iterator<String> it = d.json.fieldNames(); it.hasNext(); ) {
            String name = it.next();
            List<Transform> transforms = new ArrayList<>();
            List<Node> items = d.array(name);
            for (Node t : items) {
                transforms.add(transform(t));
            }
            distributions.put(name, new Distribution(name, transforms));
        }
        List<Scenario.Group> groups = new ArrayList<>();
        for (Node g : n.array("groups")) {
            g.only("name", "devices", "distribution");
            groups.add(new Scenario.Group(g.text("name"), g.integer("devices"), g.text("distribution")));
        }
        List<Scenario.DriftEvent> timeline = new ArrayList<>();
        if (n.json.has("timeline")) {
            for (Node e : n.array("timeline")) {
                e.only("round", "group", "distribution");
                timeline.add(new Scenario.DriftEvent(e.integer("round"), e.text("group"), e.text("distribution")));
            }
        }
        Node b = n.object("budgets");
        b.only("upload_fraction", "audit_fraction", "human_labels_per_round");
        Scenario.Budgets budgets = new Scenario.Budgets(b.number("upload_fraction"), b.number("audit_fraction"),
                b.integer("human_labels_per_round"));
        return new Scenario(n.text("name"), n.json.path("description").asText(""), n.json.path("seed").asLong(1),
                n.integer("rounds"), n.integer("frames_per_device_per_round"), n.integer("eval_frames_per_group"),
                distributions, groups, timeline, budgets);
    }

    private static Transform transform(Node t) {
        String type = t.text("type");
        return switch (type) {
            case "darken" -> {
                t.only("type", "factor");
                yield new Transform.Darken(t.number("factor"));
            }
            case "contrast" -> {
                t.only("type", "factor");
                yield new Transform.Contrast(t.number("factor"));
            }
            case "blur" -> {
                t.only("type", "radius");
                yield new Transform.Blur(t.integer("radius"));
            }
            case "noise" -> {
                t.only("type", "sigma");
                yield new Transform.Noise(t.number("sigma"));
            }
            case "class_mix" -> {
                t.only("type", "classes", "share");
                List<Integer> classes = new ArrayList<>();
                for (Node c : t.array("classes")) {
                    if (!c.json.isInt() || c.json.asInt() < 0 || c.json.asInt() > 9) {
                        throw new ScenarioException(c.path + " must be a class 0..9, got " + c.json);
                    }
                    classes.add(c.json.asInt());
                }
                yield new Transform.ClassMix(classes, t.number("share"));
            }
            case "some_frames" -> {
                t.only("type", "share", "transforms");
                List<Transform> inner = new ArrayList<>();
                for (Node i : t.array("transforms")) {
                    inner.add(transform(i));
                }
                yield new Transform.SomeFrames(t.number("share"), inner);
            }
            default -> throw new ScenarioException(t.path + ".type: unknown transform '" + type
                    + "'; known: darken, contrast, blur, noise, class_mix, some_frames");
        };
    }

    /** A JSON node with its path, for error messages. */
    private record Node(JsonNode json, String path) {

        private String at(String key) {
            return path.isEmpty() ? key : path + "." + key;
        }

        private JsonNode field(String key) {
            JsonNode v = json.get(key);
            if (v == null || v.isNull()) {
                throw new ScenarioException(at(key) + " is missing");
            }
            return v;
        }

        void only(String... keys) {
            if (!json.isObject()) {
                throw new ScenarioException((path.isEmpty() ? "the scenario" : path) + " must be an object");
            }
            Set<String> allowed = Set.of(keys);
            for (Iterator<String> it = json.fieldNames(); it.hasNext(); ) {
                String k = it.next();
                if (!allowed.contains(k)) {
                    throw new ScenarioException(at(k) + " is not a scenario key; allowed here: " + List.of(keys));
                }
            }
        }

        String text(String key) {
            JsonNode v = field(key);
            if (!v.isTextual()) {
                throw new ScenarioException(at(key) + " must be a string, got " + v);
            }
            return v.asText();
        }

        int integer(String key) {
            JsonNode v = field(key);
            if (!v.isIntegralNumber() || !v.canConvertToInt()) {
                throw new ScenarioException(at(key) + " must be a whole number, got " + v);
            }
            return v.asInt();
        }

        double number(String key) {
            JsonNode v = field(key);
            if (!v.isNumber()) {
                throw new ScenarioException(at(key) + " must be a number, got " + v);
            }
            return v.asDouble();
        }

        Node object(String key) {
            JsonNode v = field(key);
            if (!v.isObject()) {
                throw new ScenarioException(at(key) + " must be an object");
            }
            return new Node(v, at(key));
        }

        List<Node> array(String key) {
            JsonNode v = field(key);
            if (!v.isArray()) {
                throw new ScenarioException(at(key) + " must be a list");
            }
            List<Node> out = new ArrayList<>();
            for (int i = 0; i < v.size(); i++) {
                out.add(new Node(v.get(i), at(key) + "[" + i + "]"));
            }
            return out;
        }
    }
}
