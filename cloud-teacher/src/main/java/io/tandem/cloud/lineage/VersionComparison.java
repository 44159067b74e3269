package io.tandem.cloud.lineage;

import java.util.List;

/**
 * Two model versions side by side: every metric and data source either records, with the change from
 * {@code a} to {@code b}, and how the two are related.
 *
 * @param relation how {@code b} relates to {@code a}: {@code same}, {@code descendant} (b's parent chain reaches
 *     a), {@code ancestor}, {@code taught-by} (a is the teacher that taught b), {@code teacher-of}, {@code siblings}
 *     (taught by the same teacher) or {@code unrelated}
 */
public record VersionComparison(ModelVersionView a, ModelVersionView b, String relation, List<Change> metrics,
        List<Change> data) {

    /** One metric or data source: its value in each version (null where one lacks it) and b minus a. */
    public record Change(String name, Double a, Double b, Double delta) {
    }
}
