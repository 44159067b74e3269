package io.tandem.fleet.chaos;

import io.tandem.edge.uplink.SampleLedger;
import io.tandem.proto.Codecs;
import io.tandem.proto.RecordFiles;
import io.tandem.proto.v1.HardExample;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * One scenario's count from ground truth: every sample its devices produced, by device, incarnation and
 * sequence, as the devices' sample ledgers recorded it (queued, acknowledged by the broker, dropped and
 * counted), against the records in the cloud's sample store.
 *
 * @param produced distinct samples the devices produced (queued, acknowledged or dropped)
 * @param stored produced samples the store holds
 * @param lost samples acknowledged to a device (its ledger's {@code A}: the cloud's receipt) that the store does
 *     not hold
 * @param duplicated store records beyond the first of the same sample
 * @param droppedCounted samples the devices dropped and counted (a full queue), not stored
 * @param droppedUncounted samples neither stored, nor acknowledged, nor counted as dropped
 * @param unexplained store records of these devices that no ledger names
 */
record Tally(long produced, long stored, long lost, long duplicated, long droppedCounted, long droppedUncounted,
        long unexplained) {

    /** Whether the scenario kept every promise: nothing lost or duplicated, every drop counted. */
    boolean passed() {
        return lost == 0 && duplicated == 0 && droppedUncounted == 0 && unexplained == 0 && produced > 0;
    }

    /** A sample's identity. */
    static String key(String device, String incarnation, long sequence) {
        return device + "/" + incarnation + "/" + sequence;
    }

    /** What the devices' ledgers say of each sample, by {@link #key}: the events recorded for it. */
    static Map<String, Set<SampleLedger.Event>> ledgers(Map<String, Path> ledgerByDevice) {
        Map<String, Set<SampleLedger.Event>> events = new HashMap<>();
        ledgerByDevice.forEach((device, file) -> SampleLedger.read(file).forEach((sample, e) ->
                events.put(device + "/" + sample, e)));
        return events;
    }

    /** How many records of each sample the store holds, for devices {@code ours} accepts. */
    static Map<String, Integer> store(Path labelledRec, Predicate<String> ours) {
        Map<String, Integer> records = new HashMap<>();
        if (Files.exists(labelledRec)) {
            RecordFiles.read(labelledRec, Codecs.LABELLED_SAMPLE, s -> {
                HardExample e = s.getExample();
                if (ours.test(e.getDeviceId())) {
                    records.merge(key(e.getDeviceId(), e.getIncarnation(), e.getSequence()), 1, Integer::sum);
                }
            }, rejected -> { });
        }
        return records;
    }

    /** The tally of ledgers against store records. */
    static Tally of(Map<String, Set<SampleLedger.Event>> ledger, Map<String, Integer> store) {
        long stored = 0;
        long lost = 0;
        long counted = 0;
        long uncounted = 0;
        for (Map.Entry<String, Set<SampleLedger.Event>> e : ledger.entrySet()) {
            if (store.containsKey(e.getKey())) {
                stored++;
            } else if (e.getValue().contains(SampleLedger.Event.A)) {
                lost++;
            } else if (e.getValue().contains(SampleLedger.Event.D)) {
                counted++;
            } else {
                uncounted++;
            }
        }
        long duplicated = store.values().stream().mapToLong(n -> n - 1).sum();
        long unexplained = store.keySet().stream().filter(k -> !ledger.containsKey(k)).count();
        return new Tally(ledger.size(), stored, lost, duplicated, counted, uncounted, unexplained);
    }

    /** The samples acknowledged but not in the store yet: what a run still waits for. */
    static long outstanding(Map<String, Set<SampleLedger.Event>> ledger, Map<String, Integer> store) {
        return ledger.entrySet().stream().filter(e -> e.getValue().contains(SampleLedger.Event.A)
                && !store.containsKey(e.getKey())).count();
    }

    /** The names the report uses. */
    Map<String, Object> asJson(String name, List<String> notes) {
        Map<String, Object> m = new java.util.LinkedHashMap<>();
        m.put("name", name);
        m.put("produced", produced);
        m.put("stored", stored);
        m.put("lost", lost);
        m.put("duplicated", duplicated);
        m.put("dropped_counted", droppedCounted);
        m.put("dropped_uncounted", droppedUncounted);
        m.put("unexplained", unexplained);
        m.put("passed", passed());
        m.put("notes", notes);
        return m;
    }
}
