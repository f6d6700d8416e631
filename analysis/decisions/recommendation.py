"""The overall recommendation: GO / NOT YET / NO-GO / INCONCLUSIVE, and what to extract first.

Rule, in order:

1. bottleneck NO -> **NO-GO**: the monolith is not what slows you down; fix the pressure
   that exists in place.
2. bottleneck INCONCLUSIVE -> **INCONCLUSIVE**: gather the missing evidence first.
3. observability NO -> **NOT YET**: instrument first; you cannot operate services you
   cannot trace.
3b. modularize in place INCONCLUSIVE (no measured import graph) and no context asymmetric in
   scale -> **INCONCLUSIVE**: whether boundaries in place would do cannot be judged.
4. modularize in place YES and no context is asymmetric in scale -> **NOT YET**: enforce
   module boundaries in place first (most of the benefit, none of the operational cost).
5. otherwise -> **GO**: extract the first-ranked candidate (when scaling pressure holds, the
   first-ranked asymmetric context), cutting the listed dependencies first.

Next steps are concrete: observability PARTIAL or NO adds one step per failing check, naming
what to instrument (the contexts without spans, the consumers without a link, the entry points
not traced); modularize NO names the tables to give one writing owner, the import lines that
close the cycles and the joins to replace; observability INCONCLUSIVE adds what to provide or
complete and a caveat to a GO or a NOT YET: whether the system can be operated once split is
then not judged. Missing evidence is asked for as "provide" only when it was not given, and as
"complete" when it was given but holds too little. Only ranked
candidates (never a layer, a shared kernel or a context that owns nothing) can be named to
extract first. A close call on any verdict is repeated in the reasons.
"""

from __future__ import annotations

import pandas as pd

from analysis.decisions.verdicts import Verdict

#: What a pressure that cannot be judged needs, in the headline's words.
PRESSURE_EVIDENCE = {"coordination": "the git history", "team": "who works in which team (a team map)",
                     "scaling": "a day or more of traces (load)"}

#: Names listed in one step before "and N more".
NAMED = 3


def _named(names: list, noun: str) -> str:
    shown = ", ".join(str(n) for n in names[:NAMED])
    more = len(names) - NAMED
    return f"{shown} and {more} more {noun}" if more > 0 else shown


def entanglement_steps(m: Verdict) -> list[str]:
    """What to untangle, named, for each failing check of the modularize verdict."""
    failed = {c.name for c in m.checks if c.holds is False}
    ev, steps = m.evidence, []
    if "write_shared_tables" in failed:
        tables = list(ev.get("write_shared_tables") or [])
        steps.append(f"Give each of the {len(tables)} tables written by several contexts one writing owner "
                     f"({_named(tables, 'tables')}); the others read it or react to its events.")
    if "edges_to_cut" in failed:
        edges = sorted(ev.get("context_edges_to_cut") or [], key=lambda e: -int(e.get("edges", 0)))
        pairs = [f"{e['source']} → {e['target']} ({e['edges']})" for e in edges]
        steps.append(f"Cut or invert the {ev.get('import_edges_to_cut')} import lines that close the cycles between "
                     f"contexts, largest first: {_named(pairs, 'context pairs')}.")
    if "cross_context_joins" in failed:
        steps.append(f"Replace the {ev.get('cross_context_joins')} queries joining tables of different contexts by "
                     "calls or read models, busiest first (listed under joins across contexts).")
    return steps


def observability_steps(o: Verdict) -> list[str]:
    """One concrete instrumentation step per failing observability check."""
    ev = o.evidence
    failed = {c.name: c for c in o.checks if c.holds is False}
    steps = []
    if "context_span_coverage" in failed:
        without = list(ev.get("contexts_without_spans") or [])
        steps.append(f"Instrument {_named(without, 'contexts')}: no span comes from "
                     + ("it." if len(without) == 1 else "them."))
    if "orphan_span_share" in failed:
        steps.append(f"Propagate the trace context: {ev.get('orphan_spans')} of {ev.get('spans')} spans name a parent "
                     "that is not in the traces.")
    if "broken_async_share" in failed:
        steps.append(f"Carry the trace context through the queues: {ev.get('broken_async')} of {ev.get('consumer_spans')} "
                     "consumer spans have neither a parent nor a link to their producer.")
    if "sql_tied_to_traces" in failed:
        steps.append(f"Tie SQL to traces (sqlcommenter's traceparent, or database client spans): "
                     f"{failed['sql_tied_to_traces'].value:.0%} of the executions are tied to a trace.")
    if "entry_point_coverage" in failed:
        declared, traced = ev.get("entry_points_declared") or 0, ev.get("entry_points_declared_traced") or 0
        steps.append(f"Trace the {declared - traced} of {declared} inventoried entry points (routes, jobs, consumers) "
                     "not seen in the traces, or confirm the traffic never reaches them.")
    return steps


def next_step(missing: str) -> str:
    """The step one piece of missing evidence asks for: a source that was not given is to be
    provided; one that was given but holds too little (or is mapped too little) is to be
    completed — never "provide" what was read."""
    what, _, why = missing.partition(": ")
    if why.startswith("not measurable"):
        return f"Complete the {what}: {why}"
    return f"Provide the {what}: {why}" if why else f"Provide: {missing}"


def recommend(verdicts: dict[str, Verdict], ranking: pd.DataFrame) -> dict:
    b, m, o = verdicts["bottleneck"], verdicts["modularize_in_place"], verdicts["observability"]
    asymmetric = list(b.evidence.get("asymmetric_contexts") or [])
    ranked = list(ranking.loc[ranking["candidate"].astype(bool), "context"]) if not ranking.empty and "candidate" in ranking else (
        list(ranking["context"]) if not ranking.empty else [])
    first = next((c for c in ranked if c in asymmetric), None) or (ranked[0] if ranked else None)
    reasons: list[str] = [f"{v.question} {v.verdict}: {v.summary}" + (f" ({v.close_call})" if v.close_call else "")
                          for v in (b, m, o)]
    verdict, headline, steps, names_first = outcome(b, m, o, asymmetric, first)
    first = first if names_first else None
    if first is not None:
        steps += extraction_steps(first, m)
    steps += later_steps(m, o)
    if o.verdict == "INCONCLUSIVE" and verdict in ("GO", "NOT YET"):
        caveat, more = observability_caveat(o)
        headline += caveat
        steps += more
    return {"verdict": verdict, "headline": headline, "extract_first": first, "reasons": reasons, "next_steps": steps}


def outcome(b: Verdict, m: Verdict, o: Verdict, asymmetric: list[str], first: str | None) -> tuple[str, str, list[str], bool]:
    """(verdict, headline, first steps, whether a context is named to extract) by the rule of
    the module docstring."""
    if b.verdict == "NO":
        return ("NO-GO", "Don't migrate: the monolith is not the bottleneck.",
                ["Address the pressure that does exist in place (ownership, module boundaries, deploy pipeline)."], False)
    if b.verdict == "INCONCLUSIVE":
        unknown = [PRESSURE_EVIDENCE.get(p, p) for p in b.evidence.get("pressures_unknown") or []]
        headline = ("Measure more before deciding: " + (" and ".join(unknown) if unknown else "evidence")
                    + (" is" if len(unknown) <= 1 else " are") + " missing.")
        return "INCONCLUSIVE", headline, [next_step(x) for x in b.missing], False
    if o.verdict == "NO":
        return "NOT YET", "Instrument first: without traces you cannot operate what you extract.", [], True
    if m.verdict == "INCONCLUSIVE" and not asymmetric:
        return ("INCONCLUSIVE", "The monolith is in the way, but whether to modularize in place or extract cannot be judged: "
                "measure the structure first.", [next_step(x) for x in m.missing if x.startswith("import graph")], False)
    if m.verdict == "YES" and not asymmetric:
        return ("NOT YET", "Modularize in place first: strict boundaries give most of the benefit without the operational cost.",
                [], True)
    if asymmetric and m.verdict == "YES":
        return "GO", f"Extract {first} first; modularize the rest in place.", [], True
    return "GO", f"Extract {first} first.", [], True


def extraction_steps(first: str, m: Verdict) -> list[str]:
    """What to do before extracting ``first``: its import lines to cut, its tables' ownership."""
    steps = []
    cut = [e for e in (m.evidence.get("context_edges_to_cut") or []) if first in (e.get("source"), e.get("target"))]
    if cut:
        steps.append(f"Cut or invert {sum(e.get('edges', 0) for e in cut)} import lines between {first} and its neighbours first.")
    steps.append(f"Give {first} sole write ownership of its tables and publish domain events instead of shared writes.")
    return steps


def later_steps(m: Verdict, o: Verdict) -> list[str]:
    """Steps that follow from the modularize and observability verdicts, whatever the outcome."""
    steps = entanglement_steps(m) if m.verdict == "NO" else []
    if m.verdict == "YES":
        steps.append("Enforce the declared context boundaries with import contracts in CI.")
    if o.verdict in ("PARTIAL", "NO"):
        steps += observability_steps(o)
    return steps


def observability_caveat(o: Verdict) -> tuple[str, list[str]]:
    """The caveat a GO or NOT YET carries when observability was not judged, and its steps."""
    if o.missing and o.missing[0].startswith("traces: not measured"):
        return (" (Observability was not judged: no traces were given.)",
                ["Provide traces (sources.traces) to judge whether you can follow a request across the contexts."])
    return (f" (Observability was not judged: {o.summary.removeprefix('observability cannot be judged: ')})",
            [next_step(x) for x in o.missing])
