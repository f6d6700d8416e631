"""What each figure is called in the report, its unit, and what it means — one source of truth.

The report never shows a raw identifier: every column, figure axis and evidence line takes its
label and unit from :data:`TERMS`, and the report's glossary section lists the entries with their
explanation and where the formula is documented. ``docs/verdicts.md`` carries the same glossary
(a test checks they agree).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Term:
    label: str
    unit: str = ""  # "%", "commits", "ms", ... ("" for a plain number or a name)
    meaning: str = ""
    formula: str = ""  # where the formula is written: a module or a docs section


TERMS: dict[str, Term] = {t_key: t for t_key, t in {
    # per context
    "context": Term("Context", "", "A bounded context declared in the config: the code, tables and spans it owns."),
    "role": Term("Role", "", "domain (an extraction candidate), layer (an API or web layer) or shared (a shared kernel)."),
    "files_at_head": Term("Files", "files", "Files of the context present at HEAD."),
    "modules": Term("Modules", "modules", "Python modules (or source files) of the context that import something."),
    "owned_tables": Term("Tables owned", "tables", "Tables whose owner is the context: declared, or inferred from ORM models and writes.",
                         "analysis/mapping/ownership.py"),
    "spans": Term("Spans", "spans", "Spans of the traces assigned to the context (own rule or nearest ancestor)."),
    "commits": Term("Commits", "commits", "Commits touching the context, whole history."),
    "commits_recent": Term("Recent commits", "commits", "Commits touching the context in the recent window (recent_days).",
                           "docs/verdicts.md#1-is-the-monolith-actually-the-bottleneck"),
    "files": Term("Files changed", "files", "Distinct files of the context changed in the history."),
    "churn_recent": Term("Recent churn", "lines", "Lines added plus deleted in the context in the recent window."),
    "trend": Term("Change trend", "×", "Commits in the last trend_months divided by the trend_months before (above 1: speeding up)."),
    "authors": Term("Authors", "people", "Distinct authors of the context's commits, whole history."),
    "authors_recent": Term("Recent authors", "people", "Distinct authors in the recent window."),
    "teams": Term("Teams", "teams", "Distinct teams (by the team map) committing to the context recently."),
    "main_team": Term("Main team", "", "The team with most of the context's recent commits."),
    "main_team_share": Term("Main team's share", "%", "Share of the context's recent commits made by its main team."),
    "cross_team_share": Term("Cross-team share", "%", "Share of the context's recent commits made outside its main team.",
                             "analysis/measures/metrics/teams.py"),
    "ca": Term("Imported by", "contexts", "Afferent coupling: contexts that import this one."),
    "ce": Term("Imports", "contexts", "Efferent coupling: contexts this one imports."),
    "instability": Term("Instability", "", "Ce / (Ca + Ce): 0 is depended on by all, 1 depends on others only."),
    "requests": Term("Requests", "requests", "Server and consumer spans the context served in the traces (scaled for sampling)."),
    "load_share": Term("Load share", "%", "The context's requests / all requests."),
    "self_time_share": Term("Compute share", "%", "The context's self time / all self time (its own work, children excluded).",
                            "docs/runtime.md"),
    "peak_to_median": Term("Peak to median", "×", "Largest load bucket / median bucket: how bursty the context's load is."),
    "correlation_with_rest": Term("Correlation with the rest", "", "Pearson correlation of its load curve with the others' (below 0.3: its own schedule)."),
    "compute_ratio_max": Term("Compute ratio", "×", "Its total compute / the smallest of another context that served enough requests."),
    "compared_to": Term("Compared to", "", "The context the compute ratio is against."),
    "asymmetry_score": Term("Scaling asymmetry", "0–1", "Mean of the burst, own-schedule and compute components.", "docs/verdicts.md#scaling-asymmetry"),
    "tables_owned": Term("Tables declared", "tables", "Tables the config declares for the context."),
    "has_spans": Term("Traced", "", "Whether the context emits spans (unknown without traces)."),
    # the four signals
    "structural": Term("Imports", "import lines", "Import lines between the two contexts, both directions."),
    "evolutionary": Term("Co-change", "degree, 0–100", "code-maat's degree: shared commits / average commits of the two, over coupling_days.",
                         "analysis/measures/coupling/evolutionary.py"),
    "data": Term("Shared tables", "tables", "Tables both contexts use (one of them owning it), or ORM relations between their tables."),
    "runtime": Term("Runtime calls", "calls", "Calls between the two contexts in the traces, both directions, plus traces they share."),
    "orchestrated": Term("Orchestrated together", "traces", "Traces in which both contexts take part under one entry point."),
    "hidden": Term("Hidden coupling", "", "Coupled in co-change, data or runtime but not through imports: invisible when reading the code."),
    # ranking
    "score": Term("Score", "0–1", "Weighted mean of the five components; unknown components count as 0.", "docs/verdicts.md#the-extraction-ranking"),
    "score_max": Term("Best possible score", "0–1", "The score with every unknown component counted as 1."),
    "components_known": Term("Components known", "of 5", "How many of the five components the score rests on."),
    "boundary_clarity": Term("Boundary clarity", "0–1", "1 − coupled signals / (known signals × (contexts − 1))."),
    "write_isolation": Term("Write isolation", "0–1", "1 − foreign writes / all writes involving the context."),
    "change_pain": Term("Change pain", "0–1", "Recent commits / the most of any context."),
    "scaling_asymmetry": Term("Scaling asymmetry", "0–1", "The load module's asymmetry score."),
    "team_conflict": Term("Team conflict", "0–1", "Cross-team share / 0.5, capped at 1."),
    # data
    "table": Term("Table", ""), "owner": Term("Owner", "", "The context that owns the table."),
    "writers": Term("Written by", "contexts"), "readers": Term("Read by", "contexts"), "writes": Term("Writes", "executions"),
    "reads": Term("Reads", "executions"), "executions": Term("Executions", "executions"),
    "fingerprint": Term("Query", "", "A normalized statement (no literal) identified by its fingerprint."),
    # structure
    "source": Term("From", ""), "target": Term("To", ""), "edges": Term("Import lines", "lines"),
    "evidence": Term("Where", "", "path:line of each import."),
    # runtime
    "caller": Term("Caller", ""), "callee": Term("Callee", ""), "mode": Term("Mode", "", "sync or async (through a queue)."),
    "calls": Term("Calls", "calls"), "mean_ms": Term("Mean time", "ms"), "error_share": Term("Errors", "%"),
    "entry_point": Term("Entry point", "", "A route or consumed queue (a span name, its values masked, when neither)."),
    "entry_context": Term("Served by", ""), "traces": Term("Traces", "traces"),
    # the inferred decomposition (docs/decomposition.md)
    "partition": Term("Partition", "", "The declared map, or a partition inferred from the unit graph (inferred-k<N>: N parts)."),
    "modularity": Term("Modularity", "", "Newman's weighted modularity of a partition of the unit graph; higher is better.",
                       "analysis/measures/decomposition/metrics.py"),
    "sm": Term("SM", "", "Structural modularity: mean cohesion of the parts minus mean coupling between them; higher is better.",
               "analysis/measures/decomposition/metrics.py"),
    "icp": Term("ICP", "%", "Inter-partition weight: share of the unit graph's edge weight crossing parts; lower is better.",
                "analysis/measures/decomposition/metrics.py"),
    "ifn": Term("IFN", "units", "Interface number: units per part with an edge to another part; lower is better.",
                "analysis/measures/decomposition/metrics.py"),
    "ned": Term("NED", "%", "Share of units in parts of extreme size (Mono2Micro's form); lower is better.",
                "analysis/measures/decomposition/metrics.py"),
    "mq": Term("MQ", "", "Modularization quality (TurboMQ): the sum of the parts' cluster factors; higher is better.",
               "analysis/measures/decomposition/metrics.py"),
    "bcp": Term("BCP", "bits", "Business context purity: mean entropy of the routes and queues reaching each part's units; lower is better.",
                "analysis/measures/decomposition/metrics.py"),
    "transactions_spanning": Term("Transactions spanning parts", "%", "Share of database transactions (one trace's statements) "
                                  "whose tables' owning units fall in several parts; lower is better.", "analysis/measures/decomposition/metrics.py"),
    "traces_spanning": Term("Traces spanning parts", "%", "Share of traces whose code units fall in several parts; lower is better.",
                            "analysis/measures/decomposition/metrics.py"),
    "mojofm_vs_declared": Term("MoJoFM vs declared", "0–100", "How close a partition is to the declared map (100 = the same).",
                               "analysis/measures/decomposition/mojo.py"),
    "parts": Term("Parts", "parts"), "units": Term("Units", "units"), "resolution": Term("Resolution", ""),
    "unit": Term("Unit", "", "A module, file or code namespace of the unit graph."),
    "declared": Term("Declared context", ""), "pulled_to": Term("Pulled to", ""),
    "affinity_declared": Term("Tie to declared", ""), "affinity_pulled": Term("Tie to pulled", ""),
    "prefix": Term("Folder", ""), "paths": Term("Paths", "paths"), "path_share": Term("Share of the paths", "%"),
}.items()}


def label(key: str) -> str:
    """The human label of a column or figure key (the key itself, spaced, when unknown)."""
    term = TERMS.get(key)
    return term.label if term else key.replace("_", " ").capitalize()


def unit(key: str) -> str:
    """The unit of a column or figure key ("" when it has none or is unknown)."""
    term = TERMS.get(key)
    return term.unit if term else ""


def label_with_unit(key: str) -> str:
    """``Label (unit)``; the label alone when the unit adds nothing (``Requests``, not
    ``Requests (requests)``)."""
    term = TERMS.get(key)
    if term is None:
        return label(key)
    if not term.unit or term.unit.lower() in term.label.lower():
        return term.label
    return f"{term.label} ({term.unit})"


def glossary_rows() -> list[dict[str, str]]:
    """The glossary: every term with a meaning, sorted by label."""
    return sorted(({"term": t.label, "unit": t.unit, "meaning": t.meaning, "formula": t.formula}
                   for t in TERMS.values() if t.meaning), key=lambda r: r["term"].lower())


def glossary_markdown() -> str:
    """The glossary as the Markdown table ``docs/verdicts.md`` carries (a test keeps them equal)."""
    lines = ["| term | unit | meaning | formula |", "|---|---|---|---|"]
    for r in glossary_rows():
        formula = f"`{r['formula']}`" if r["formula"] else ""
        lines.append(f"| {r['term']} | {r['unit']} | {r['meaning']} | {formula} |")
    return "\n".join(lines) + "\n"
