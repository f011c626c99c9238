"""What every output means: the columns of every table pmtool writes and every field of a bundle, and the
codes found in them (case and rule statuses, deviation codes, gate and quarantine reasons, quality flags,
exit codes). ``docs/columns.md`` and ``docs/codes.md`` are generated from here (``python
docs/generate_pages.py``); the tests check that the pages are current and that every table a run writes has
exactly the columns listed here."""

from __future__ import annotations

import inspect
from dataclasses import dataclass

from pmtool.compare.adoption import ESTIMATE_COLUMNS, SERIES_COLUMNS, VERDICTS

#: Meaning of a column name; the same name means the same thing in every table unless a table says otherwise.
MEANING: dict[str, str] = {
    "process": "Process id (`P1`, `P2`, `P3a`, … or a process of the project's own vocabulary).",
    "period": "Period label of the analysis (`[project] period`, `--period`): a label, not a filter.",
    "office": "Office id.",
    "office_name": "Display name of the office (`[[offices]] name`, else the id).",
    "item": "Comparison item: `dev:<code>:<activity>` (a deviation at a Soll activity), `rule:<rule id>` or "
            "`case:NO_CLOSURE`.",
    "item_type": "`deviation`, `rule` or `case`.",
    "code": "Deviation code of the item (see codes.md): SKIP, INSERT, ORDER, REPEAT, DEADLINE, ROLE, RULE, "
            "NO_CLOSURE.",
    "activity": "The activity (canonical name, else the log's label); empty for rule and case items.",
    "rule_id": "Id of the rule in the rule pack; empty for other items.",
    "eligible": "Cases that could show the item (finished cases for deviations; judged cases for rules). "
                "Empty where hidden for privacy.",
    "affected": "Eligible cases that show it. Empty where hidden for privacy.",
    "late_hours_sum": "Hours over the deadline, summed over the affected cases (deadline rules).",
    "throughput_affected_sum": "Throughput hours (first to last event) summed over the affected cases.",
    "throughput_unaffected_sum": "Throughput hours summed over the eligible cases not affected.",
    "duration_median_hours": "Median hours of the rule's interval (deadline rules: clock start to the activity "
                             "due) over the eligible cases.",
    "comparable_office": "Whether the office passed the comparability gate in this process and period.",
    "not_comparable_reason": "Why not comparable: a gate reason (see codes.md), `small_numbers` (this row is "
                             "hidden) or `small_numbers_others` (the other offices' pool is hidden); empty when "
                             "comparable.",
    "suppressed": "The row's counts are hidden (below the privacy threshold, or recomputable from one that is).",
    "k_all": "Affected cases of all comparable offices together (the pool); empty where hidden.",
    "n_all": "Eligible cases of all comparable offices together; empty where hidden.",
    "rate": "affected / eligible.",
    "ci_low": "Lower end of the 95 % Wilson interval of `rate`.",
    "ci_high": "Upper end of the 95 % Wilson interval of `rate`.",
    "rate_others": "Pooled rate of all other comparable offices.",
    "affected_others": "Affected cases of the other comparable offices.",
    "eligible_others": "Eligible cases of the other comparable offices.",
    "p_value": "Two-sided Fisher exact test of the office against the other offices.",
    "q_value": "Benjamini–Hochberg adjusted p-value over all offices × items of the process and period.",
    "shrunk_rate": "Empirical-Bayes (beta-binomial) estimate of the office's rate.",
    "shrunk_low": "Lower end of the 95 % posterior interval of the shrunk rate.",
    "basis": "`legal`, `service_level` or `style` (from the rule pack; deviations: the strongest rule naming the "
             "activity; default service_level).",
    "severity": "`high`, `medium` or `low` (as `basis`).",
    "severity_weight": "basis weight × severity weight (method.md).",
    "rule_title": "German title of the rule.",
    "rule_title_en": "English title of the rule.",
    "legal_source": "Legal source of the rule (e.g. `§ 11 Abs. 1 IfSG`).",
    "excess_share": "shrunk_low − rate_others, at least 0: how many more cases (as a share) the office affects.",
    "impact_hours": "Mean hours over the deadline (deadline rules), else the added mean throughput hours of "
                    "affected over unaffected cases.",
    "impact_factor": "1 + (impact in days, capped at 20) / 20.",
    "score": "100 × excess_share × severity_weight × impact_factor.",
    "comparable": "The row can be compared: office comparable, counts and pool published.",
    "direction": "`worse`, `better` or `same`: the office's rate against rate_others.",
    "significant": "q_value ≤ the false discovery rate (`fdr`).",
    "finding": "comparable, significant, worse and score > 0.",
    "finding_id": "Stable id of the finding (`F-<process>-…`), for the allowlist and `pmtool cases`.",
    "accepted": "The finding is accepted in the allowlist.",
    "justification": "The allowlist's written justification.",
    "rank": "Rank (1 = first).",
    "statement_de": "The finding in one German sentence.",
    "statement_en": "The finding in one English sentence.",
    "best_offices": "Offices with the lowest rate of the item (the model office first).",
    "best_rate": "Their rate.",
    "best_duration_median_hours": "duration_median_hours in the model office (deadline rules).",
    "fragment": "The Soll-conforming path through the activity in the model office.",
    "best_office_names": "Display names of best_offices.",
    "process_name": "Display name of the process (`[processes.<id>] name`, else the vocabulary's, else the "
                    "process id).",
    "cases": "Number of cases.",
    "offices": "Number of offices.",
    "fitness": "Mean alignment fitness (1 = every case fits the Soll).",
    "deviating_cases": "Cases with fitness below 1.",
    "legal_violated": "Violated checks of rules with a legal basis.",
    "legal_checked": "Judged checks of rules with a legal basis.",
    "volume": "Prioritisation factor: case volume.",
    "nonconformance": "Prioritisation factor: share of the cases that do not follow the Soll completely.",
    "spread": "Prioritisation factor: largest minus smallest office share of deviating cases (percentage points).",
    "legal_risk": "Prioritisation factor: share of legal checks violated.",
    "time_lost": "Prioritisation factor: hours over deadlines per case.",
    "volume_norm": "volume divided by its largest value across the processes (0 to 1).",
    "nonconformance_norm": "nonconformance divided by its largest value across the processes.",
    "spread_norm": "spread divided by its largest value across the processes.",
    "legal_risk_norm": "legal_risk divided by its largest value across the processes.",
    "time_lost_norm": "time_lost divided by its largest value across the processes.",
    "volume_weight": "Weight of volume (`[priorities]`).",
    "nonconformance_weight": "Weight of nonconformance.",
    "spread_weight": "Weight of spread.",
    "legal_risk_weight": "Weight of legal_risk.",
    "time_lost_weight": "Weight of time_lost.",
    "priority": "Σ weight × norm / Σ weight.",
    "reasons": "The factors with weight where the process is highest or above three quarters of the highest.",
    "median_hours": "Median throughput hours (first to last event) of the office's completed cases.",
    "median_low": "Lower end of the 95 % interval of the median (from the bundle's histogram).",
    "median_high": "Upper end of the 95 % interval of the median.",
    "median_others_hours": ("Median throughput hours of the other comparable offices' completed cases: exact "
                            "when they are one office, else interpolated linearly within one bin of their pooled "
                            "histogram (0–1 h, then bins each a factor √2 wider, up to 23,170 h); see "
                            "`median_others_exact`. Empty when every other office's count is hidden."),
    "median_others_exact": ("`true` when `median_others_hours` is the exact median, `false` when it is "
                            "interpolated from the histogram."),
    "cell": "Which published number (the count or sum of an item, a total, a pool).",
    "scope": "Whose number: one office, or all offices together.",
    "lower": "Smallest value the hidden number can have given everything published (linear programming).",
    "upper": "Largest value it can have; lower < upper means it cannot be recomputed.",
    "compared": "Whether the office was compared in this process and period.",
    "reason": "Why not compared (a gate reason or `no_peer`, see codes.md).",
    "case_id": "Case pseudonym (HMAC-SHA256 of the export's case id with the key).",
    "variant": "The case's sequence of activities.",
    "events": "Number of events.",
    "first": "Time of the first event (UTC).",
    "last": "Time of the last event (UTC).",
    "case_status": "`complete`, `running` or `stale` (codes.md).",
    "throughput_hours": "Hours from the first to the last event.",
    "log_moves": ("Events of the case the Soll has no place for at that point (log moves of the optimal "
                  "alignment)."),
    "model_moves": ("Steps of the Soll the case left out at that point (visible model moves; silent steps of the "
                    "model are not counted)."),
    "deviating_moves": ("`log_moves` + `model_moves`. The case's fitness is pm4py's: 1 − deviating_moves / "
                        "(events + the visible steps of the Soll's shortest run)."),
    "bounded": "The alignment hit the search bound: the case is counted, labelled and not scored.",
    "source": "Where the deviation comes from: `alignment`, `rule` or `case`.",
    "position": "Position of the event in the case (0-based; empty for moves of the model).",
    "timestamp": "Time of the event (UTC).",
    "time_lost_hours": "Hours lost (REPEAT: since the previous occurrence).",
    "detail": "Further detail in words.",
    "kind": "Kind of rule (`deadline`, `order`, `mandatory`, `role`, `absent`).",
    "clock": "The rule's clock start (deadline rules; one row per clock start).",
    "primary": "The clock start the comparison uses (`from`, not an `alt_from`).",
    "status": "Rule status of the case (codes.md).",
    "start": "Clock start (UTC).",
    "end": "Time of the activity that ends the clock (UTC).",
    "due": "Due time (UTC).",
    "late_hours": "Hours over the due time.",
    "ok": "Cases with status ok.",
    "violated": "Cases with status violated.",
    "pending": "Cases with status pending.",
    "judged": "ok + violated.",
    "variants": "Number of variants.",
    "fitting_share": "Share of cases with fitness 1.",
    "running": "Running cases.",
    "stale": "Cases never closed.",
    "throughput_median_hours": "Median throughput hours of the completed cases.",
    "precision": "Alignment-based precision of the Soll on the office's log.",
    "f1": "Harmonic mean of fitness and precision.",
    "method": "Conformance method (`alignments`).",
    "label": "A label: a Soll task's or an office's activity.",
    "task": "The Soll task.",
    "share": "Share (0 to 1).",
    "suggestion": "The closest label of the other side.",
    "target": "The activity that follows.",
    "case_share": "Share of the office's cases with this pair.",
    "mean_hours": "Mean hours between the two activities.",
    "p90_hours": "90th percentile of the hours.",
    "min_hours": "Smallest hours.",
    "max_hours": "Largest hours.",
    "shown": "Drawn in the process map.",
    "cumulative_share": "Share of the cases covered by this and the more frequent variants.",
    "length": "Number of activities of the variant.",
    "total_hours": "Hours waited in total on this pair.",
    "share_of_waiting": "Share of all waiting hours of the office.",
    "activity_code": "Vocabulary id (`IS-10`); empty when the label is not mapped.",
    "timestamp_precision": ("`datetime`, or `date` when the export gave a date without a time of day, or a "
                            "time of exactly midnight (local, or UTC) in an export where more than 5 % of the "
                            "timed events lie at that midnight."),
    "resource": "Pseudonym of the member of staff.",
    "role": "Role (the vocabulary's or a Soll lane, mapped by the profile).",
    "lifecycle": "Lifecycle transition (`start`, `complete`, …) as exported.",
    "source_system": "The case software the event comes from.",
    "source_row": "Position of the row in the export.",
    "source_file": "The export the row comes from.",
    "column": "The column whose value failed.",
    "value": "The value that failed.",
    "measure": "`conforming` (share of ended cases with fitness 1), or a rule id (its compliance).",
    "month": "Month (Europe/Berlin) of the cases' first event, `2025-03`.",
    "side": "`before` or `after` the month the Soll became binding (`valid_from`).",
    "fitted": "Value of the segmented regression for the month.",
    "months_before": "Published months before the binding date.",
    "months_after": "Published months from the binding date on.",
    "judged_before": "Judged cases before the binding date.",
    "judged_after": "Judged cases from the binding date on.",
    "share_before": "Share (conforming, or rule compliance) before the binding date.",
    "share_after": "Share from the binding date on.",
    "level": "Level change of the share at the binding month (segmented regression).",
    "level_low": "Lower end of its 95 % interval.",
    "level_high": "Upper end of its 95 % interval.",
    "level_p": "p-value of the level change.",
    "slope": "Change of the monthly trend at the binding month.",
    "slope_low": "Lower end of its 95 % interval.",
    "slope_high": "Upper end of its 95 % interval.",
    "change_month": "The month at which the series changes most.",
    "change_level": "The change at that month.",
    "change_significant": "That change holds after Bonferroni correction over the months tried.",
    "verdict": "`improved`, `worsened`, `no_change` or `not_estimable` (codes.md).",
}


@dataclass(frozen=True)
class TableDoc:
    """One output table: where it is written, what a row is, its columns in order, and meanings that differ from
    :data:`MEANING` for this table."""

    name: str
    path: str
    row: str
    columns: tuple[str, ...]
    own: tuple[tuple[str, str], ...] = ()

    def meaning(self, column: str) -> str:
        return dict(self.own).get(column) or MEANING[column]


_COMPARISON = ("process", "period", "office", "office_name", "item", "item_type", "code", "activity", "rule_id",
               "eligible", "affected", "late_hours_sum", "throughput_affected_sum", "throughput_unaffected_sum",
               "duration_median_hours", "comparable_office", "not_comparable_reason", "suppressed", "k_all",
               "n_all", "rate", "ci_low", "ci_high", "rate_others", "affected_others", "eligible_others", "p_value",
               "q_value", "shrunk_rate", "shrunk_low", "basis", "severity", "severity_weight", "rule_title",
               "rule_title_en", "legal_source", "excess_share", "impact_hours", "impact_factor", "score",
               "comparable", "direction", "significant", "finding", "finding_id", "accepted", "justification")
_FACTORS = ("volume", "nonconformance", "spread", "legal_risk", "time_lost")

#: Every table pmtool run writes (tables/… and logs/…), in the order of the results folder.
TABLES: tuple[TableDoc, ...] = (
    TableDoc("comparison", "tables/comparison.<fmt>", "one office × item of a process and period", _COMPARISON),
    TableDoc("findings", "tables/findings.<fmt>", "one finding (a comparison row with `finding`), ranked per "
             "process", (*_COMPARISON, "rank", "statement_de", "statement_en", "best_offices", "best_rate",
                         "best_duration_median_hours", "fragment", "best_office_names"),
             (("rank", "Rank of the finding within its process (1 = highest score)."),)),
    TableDoc("priorities", "tables/priorities.<fmt>", "one process",
             ("process", "process_name", "comparable", "cases", "offices", "fitness", "deviating_cases",
              "legal_violated", "legal_checked", *_FACTORS, *(f"{f}_norm" for f in _FACTORS),
              *(f"{f}_weight" for f in _FACTORS), "priority", "reasons", "rank"),
             (("rank", "Which process to standardise first (1 = highest priority); empty when the process is "
                       "not `comparable`."),
              ("comparable", "At least two offices of the process were compared (`comparability`). A process "
                             "that could not be compared keeps its factors but gets no norms, priority or rank: "
                             "it is not ranked, and the norms of the others are taken over the comparable "
                             "processes only."),
              ("fitness", "Mean fitness of the process's cases over all offices."))),
    TableDoc("trend", "tables/trend.<fmt>", "one finding's item in one period (several periods: several rows)",
             ("finding_id", "process", "office", "item", "period", "eligible", "affected", "rate", "rate_others",
              "comparable")),
    TableDoc("throughput", "tables/throughput.<fmt>", "one office of a process and period: its median throughput "
             "time against the others'",
             ("process", "period", "office", "office_name", "cases", "median_hours", "median_low", "median_high",
              "median_others_hours", "median_others_exact", "p_value", "q_value", "significant", "direction",
              "comparable", "not_comparable_reason"),
             (("cases", "Completed cases of the office."),
              ("p_value", "Mann–Whitney test of the office's throughput times against the other offices'."),
              ("direction", "`worse` (slower), `better` or `same`."))),
    TableDoc("disclosure", "tables/disclosure.<fmt>", "one hidden number: how closely it can be recomputed "
             "from everything published", ("process", "period", "cell", "item", "office", "scope", "lower",
                                           "upper")),
    TableDoc("comparability", "tables/comparability.<fmt>", "one office of a process and period",
             ("process", "period", "office", "office_name", "compared", "reason")),
    TableDoc("adoption series", "tables/adoption_series.<fmt>", "one office × measure × published month of "
             "a process with a binding date", ("process", *SERIES_COLUMNS),
             (("judged", "Cases judged in the month (ended cases; for a rule: ok + violated)."),
              ("ok", "Of them conforming (for a rule: ok)."), ("share", "ok / judged."))),
    TableDoc("adoption estimates", "tables/adoption_estimates.<fmt>", "one office × measure: before and after the "
             "Soll became binding", ("process", *ESTIMATE_COLUMNS),
             (("month", "The month of the verdict: the detected change month when it agrees in direction, else "
                        "the binding month."),)),
    TableDoc("conformance summary", "tables/conformance/<process>_summary.<fmt>", "one office",
             ("office", "cases", "events", "variants", "fitness", "fitting_share", "bounded", "running", "stale",
              "throughput_median_hours", "precision", "f1", "method"),
             (("bounded", "Cases whose alignment hit the search bound."),)),
    TableDoc("conformance cases", "tables/conformance/<process>_cases.<fmt>", "one case",
             ("office", "case_id", "variant", "events", "first", "last", "case_status", "throughput_hours",
              "fitness", "log_moves", "model_moves", "deviating_moves", "bounded"),
             (("fitness", "Alignment fitness of the case (1 = fits the Soll)."),)),
    TableDoc("conformance deviations", "tables/conformance/<process>_deviations.<fmt>", "one deviation of one "
             "case", ("office", "process", "case_id", "code", "activity", "rule_id", "source", "position",
                      "timestamp", "time_lost_hours", "detail")),
    TableDoc("conformance rules", "tables/conformance/<process>_rules.<fmt>", "one case × rule (× clock start)",
             ("office", "case_id", "rule_id", "kind", "clock", "primary", "status", "case_status", "start", "end",
              "due", "late_hours", "detail")),
    TableDoc("conformance rule summary", "tables/conformance/<process>_rule_summary.<fmt>", "one office × rule",
             ("office", "rule_id", "kind", "ok", "violated", "pending", "judged", "rate"),
             (("rate", "violated / judged."),)),
    TableDoc("conformance labels", "tables/conformance/<process>_labels.<fmt>", "one label that one side does not "
             "know: a Soll task an office never shows, or an office's activity the Soll does not know",
             ("process", "kind", "label", "task", "office", "events", "cases", "share", "suggestion", "accepted"),
             (("kind", "`missing` (a Soll task the office never shows) or `unknown` (an activity the Soll does "
                       "not know)."),
              ("share", "Share of the office's events with this label."),
              ("accepted", "Accepted by `accept_missing` / `max_unknown_share`."))),
    TableDoc("process map edges", "tables/discovery/<process>/<office>_dfg_edges.<fmt>", "one directly-follows "
             "pair of activities", ("source", "target", "events", "cases", "case_share", "mean_hours",
                                    "median_hours", "p90_hours", "min_hours", "max_hours", "shown"),
             (("source", "The activity."), ("events", "How often the pair occurs."),
              ("cases", "Cases with the pair."), ("median_hours", "Median hours between the two activities."))),
    TableDoc("variants", "tables/discovery/<process>/<office>_variants.csv", "one variant",
             ("rank", "variant", "cases", "share", "cumulative_share", "length"),
             (("share", "Share of the office's cases."),)),
    TableDoc("bottlenecks", "tables/discovery/<process>/<office>_bottlenecks.csv", "one pair of activities, "
             "by waiting time", ("rank", "source", "target", "events", "cases", "mean_hours", "median_hours",
                                 "p90_hours", "max_hours", "total_hours", "share_of_waiting"),
             (("source", "The activity."), ("events", "How often the pair occurs."),
              ("cases", "Cases with the pair."), ("median_hours", "Median hours between the two activities."))),
    TableDoc("canonical log", "logs/<process>/<office>_<process>.parquet", "one event (then the export's further "
             "columns as they are)",
             ("office", "case_id", "activity", "activity_code", "timestamp", "timestamp_precision", "resource",
              "role", "lifecycle", "source_system", "source_row"),
             (("activity", "Canonical German name where mapped, else the export's label."),)),
    TableDoc("quarantine", "logs/<process>/<office>_<process>.quarantine.csv", "one row of the export not "
             "imported (then `raw:<column>` for each column of the export, identifying columns pseudonymised, "
             "`drop` columns left out)", ("source_file", "source_row", "reason", "column", "value"),
             (("reason", "Quarantine reason (codes.md)."),)),
)

#: Every field of a bundle (``<office>_<process>_<period>.bundle.json``), the one file an office shares.
BUNDLE: tuple[tuple[str, str], ...] = (
    ("format", "`pmtool-bundle/2`."),
    ("office", "Office id."),
    ("process", "Process id."),
    ("period", "Period label (`--period`)."),
    ("cases", "Number of the office's cases."),
    ("finished_cases", "Cases not running (the eligible cases of every deviation item)."),
    ("fitting_cases", "Cases with fitness 1."),
    ("fitness_sum", "Sum of the cases' fitness (bounded cases counted at the mean of the others)."),
    ("throughput_median_hours", "Exact median throughput hours of the completed cases."),
    ("throughput_bins", "Completed cases per throughput bin."),
    ("bin_edges_hours", "The bins' edges in hours, the same for every office."),
    ("quality.coverage", "Share of events mapped onto the vocabulary or a Soll task."),
    ("quality.date_only_share", "Share of events with a date but no time of day."),
    ("quality.running_share", "Share of running cases."),
    ("quality.bounded_share", "Share of cases whose alignment hit the search bound."),
    ("quality.period_start", "Month of the first event, local time (`2025-01`): no day, no time."),
    ("quality.period_end", "Month of the last event, local time."),
    ("meta.pmtool_version", "pmtool version that made the bundle."),
    ("meta.model", "File name of the Soll model."),
    ("meta.model_sha256", "SHA-256 of the Soll model (and its label map)."),
    ("meta.rules", "Id of the rule pack."),
    ("meta.rules_version", "Version of the rule pack."),
    ("meta.method", "Conformance method."),
    ("meta.suppress_below", "The office's publication threshold."),
    ("meta.filters", "Only in a bundle of part of the cases: the filters applied (docs/filters.md)."),
    ("items[]", "One entry per item: `item`, `item_type`, `code`, `activity`, `rule_id`, `eligible`, `affected`, "
                "`late_hours_sum`, `throughput_affected_sum`, `throughput_unaffected_sum`, "
                "`duration_median_hours` — as in the comparison table, exact (zero included)."),
    ("edges[]", "`[activity, following activity, cases]`: directly-follows pairs with the number of cases that "
                "have them."),
)

#: Codes and their meaning, by group; texts in German and English come from the message catalogue.
RULE_STATUS = {
    "ok": "The case met the rule.",
    "violated": "The case broke the rule (late, wrong order, missing, forbidden activity, wrong role); a running "
                "case once it is past its due time.",
    "pending": "A running case whose deadline has not passed, or whose mandatory activity may still come.",
    "not_applicable": "The rule cannot judge the case: its clock start or `if_present` activity never occurred; "
                      "an order rule's two activities did not both occur; a role rule's activity never occurred "
                      "or had no known role; a finished case without the deadline's activity (a mandatory "
                      "rule's matter).",
    "excluded": "A running case left out (`incomplete = \"exclude\"`).",
}
CASE_STATUS = {
    "complete": "A closing activity of the Soll occurred (one after which the Soll model can end).",
    "running": "No closing activity yet, and an event within `stale_after_days` (90) before `as_of`.",
    "stale": "No closing activity and no event for `stale_after_days`: never closed (`case:NO_CLOSURE`).",
}
ADOPTION_VERDICT = {
    "improved": "The share rose: the level change at the binding month, or the change at the detected month, "
                "is an increase that holds (its interval above 0, or significant).",
    "worsened": "The share fell, in the same sense.",
    "no_change": "Neither holds.",
    "not_estimable": "Fewer than three published months on a side of the binding date.",
}
EXTRA_REASONS = {
    "no_peer": "The office passed the gate, but no second office in the process and period did.",
    "small_numbers": "The row's counts are hidden for privacy, so the row is not compared (comparison table).",
    "small_numbers_others": "The other offices' pooled counts are hidden (comparison table).",
}


def columns_reference() -> str:
    """The text of ``docs/columns.md``."""
    out = [_COLUMNS_INTRO]
    for table in TABLES:
        out += [f"## {table.name}", "", f"`{table.path}` — each row is {table.row}.", "", "| column | meaning |",
                "|---|---|"]
        out += [f"| `{c}` | {_cell(table.meaning(c))} |" for c in table.columns]
        out.append("")
    out += ["## bundle", "", _BUNDLE_INTRO, "", "| field | meaning |", "|---|---|"]
    out += [f"| `{name}` | {_cell(text)} |" for name, text in BUNDLE]
    return "\n".join(out) + "\n"


def codes_reference() -> str:
    """The text of ``docs/codes.md``."""
    from pmtool.conform.deviations import KINDS
    from pmtool.conform.rules_check import CASE_STATUSES, STATUSES
    from pmtool.i18n import t

    out = [_CODES_INTRO, "## Rule status (`status`)", "", "| status | meaning |", "|---|---|"]
    out += [f"| `{k}` | {_cell(RULE_STATUS[k])} |" for k in STATUSES]  # a new status without a text fails here
    out += ["", "## Case status (`case_status`)", "", "| status | meaning |", "|---|---|"]
    out += [f"| `{k}` | {_cell(CASE_STATUS[k])} |" for k in CASE_STATUSES]
    out += ["", "## Deviation codes (`code`)", "", "| code | from | meaning |", "|---|---|---|"]
    out += [f"| `{k.code}` | {k.source} | {_cell(_first_paragraph(k.doc))} |" for k in KINDS.values()]
    out += ["", "## Gate reasons (`reason`, `not_comparable_reason`)", "",
            "An office is compared only when it passes every check of the comparability gate (`[comparison]` in "
            "the project file); the reason names the first it failed, with its value (`coverage:0.812`).", "",
            "| reason | meaning |", "|---|---|"]
    out += [f"| `{k}:<share>` | {_cell(t(f'report.gate.{k}', 'en', value='<share>'))} |" for k in _GATE_KINDS]
    out += [f"| `{k}` | {_cell(v)} |" for k, v in EXTRA_REASONS.items()]
    out += ["", "## Quarantine reasons (`reason` of `<name>.quarantine.csv`)", "", "| reason | meaning |",
            "|---|---|"]
    out += [f"| `{k}` | {_cell(t(f'reason.{k}', 'en'))} |" for k in _QUARANTINE]
    out += ["", "## Adoption verdicts (`verdict`)", "", "| verdict | meaning |", "|---|---|"]
    out += [f"| `{k}` | {_cell(ADOPTION_VERDICT[k])} |" for k in VERDICTS]
    out += ["", "## Data-quality flags (`pmtool inspect`)", "", "| flag | meaning |", "|---|---|"]
    out += [f"| `{k}` | {_cell(t(f'quality.{k}', 'en'))} |" for k in _QUALITY]
    out += ["", _EXIT_INTRO, "", "| command | exit codes |", "|---|---|"]
    out += [f"| `{path}` | {', '.join(f'{code} {text}' for code, text in codes)} |"
            for path, codes in exit_codes().items()]
    return "\n".join(out) + "\n"


def exit_codes() -> dict[str, list[tuple[int, str]]]:
    """Per command: the exit codes it can end with, read from the command's module (which exits it raises)
    and its options (``--fail-on-findings``, ``--fail-under``)."""
    from pmtool.cli.reference import commands

    out: dict[str, list[tuple[int, str]]] = {}
    for path, cmd, _ in commands():
        if path == "pmtool" or cmd.callback is None:
            continue
        source = inspect.getsource(inspect.getmodule(cmd.callback))
        options = {o for p in cmd.params for o in getattr(p, "opts", ())}
        codes = [(0, "done")]
        if "--fail-on-findings" in options:
            codes.append((1, "with `--fail-on-findings`: findings not accepted in the allowlist"))
        if "--fail-under" in options and "EXIT_FINDINGS" in source:
            codes.append((1, "with `--fail-under`: an office's fitness below it"))
        if "user_errors" in source:
            codes.append((2, "could not run (one line naming file, row, column and what to do)"))
        elif "EXIT_CANNOT_RUN" in source:
            codes.append((2, "a required part is missing"))
        if "exit_code(" in source:
            codes.append((3, "a process could not be compared" + (" (with `--fail-on-findings`: any office)"
                                                                   if "--fail-on-findings" in options else "")))
        out[path] = codes
    return out


_GATE_KINDS = ("coverage", "date_only", "running", "alignment_bound", "period_overlap")
_QUARANTINE = ("missing_case_id", "missing_activity", "missing_timestamp", "unparsable_timestamp",
               "dst_nonexistent_time", "dst_ambiguous_time", "excluded_by_profile", "unmapped_activity",
               "duplicate_event")
_QUALITY = ("date_only_timestamps", "unmapped_activities", "missing_resource", "same_timestamp_in_case",
            "weekend_events", "single_event_cases")


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _first_paragraph(doc: str) -> str:
    return " ".join(doc.split("\n\n")[0].split())


_COLUMNS_INTRO = """# Columns of every table and of the bundle

What each column of the tables `pmtool run` writes means (`<fmt>`: the formats of `[project] tables`; `pmtool
compare`, `pmtool conform` and `pmtool discover` write the same tables under their `--out`), and every field
of the bundle an office shares. Times are UTC; hours are decimal hours. A number hidden for privacy is an
empty cell. Codes found in the columns: [codes.md](codes.md). Beside the report, `report/<report>-tables/`
holds the report's tables as printed, with the report's own headings in its language (for the e-file); they
are not listed here.

This page is generated from `pmtool/dictionary.py` by `python docs/generate_pages.py`; a test fails when it
is out of date or when a table a run writes has other columns than listed here.
"""

_BUNDLE_INTRO = """`bundles/<office>_<process>_<period>.bundle.json` (`pmtool aggregate`): what an office shares instead
of its log — counts and sums per item, no case, no pseudonym, no day or time of any event (the office's
period only as its first and last month). Medians (`throughput_median_hours`, `duration_median_hours`) are
exact order statistics of the office's cases, confidential like the rest of the bundle and never published
unsuppressed. Every field:"""

_CODES_INTRO = """# Status, reason and exit codes

The codes in pmtool's tables and what each means. This page is generated from the code (`pmtool/dictionary.py`
and the message catalogue) by `python docs/generate_pages.py`; a test fails when it is out of date.
"""

_EXIT_INTRO = """## Exit codes per command

0: the command did what it was asked (findings or not). 1: only when asked (`--fail-on-findings`,
`--fail-under`). 2: it could not run — one line on stderr naming file, row and column and what to do, no
traceback, and no output half-written (the stage cache in `<output>/.cache` keeps the steps that finished,
pseudonymised, so that the rerun after the fix starts from them; a results folder the run made and kept
nothing in is removed). 3: the analysis ran but offices could not be compared; "no findings" (0) and
"nothing could be compared" (3) are never the same outcome. 130: `pmtool run` or `pmtool demo` stopped by
Ctrl-C or `kill -INT`; the results folder keeps the last complete run's results. Read from each command's
code:"""


def _vocabulary_page() -> str:
    from pmtool.vocabulary.reference import vocabulary_reference

    return vocabulary_reference()


#: The generated pages of ``docs/`` and what writes each (``python docs/generate_pages.py``).
PAGES = {"vocabulary.md": _vocabulary_page, "columns.md": columns_reference, "codes.md": codes_reference}
