"""Change coupling: ``coupling`` (logical coupling by degree) and ``soc`` (sum of coupling).

Input: a modifications frame (:mod:`analysis.measures.codemaat.log`); only ``rev`` and ``entity``
are read.

``coupling`` — columns ``entity, coupled, degree, average_revs`` (verbose:
``first_entity_revisions, second_entity_revisions, shared_revisions``)::

    change sets   = the entities of each rev; revs with more rows than
                    max_changeset_size are left out of everything below
    revs(e)       = change sets containing e
    shared(a, b)  = change sets containing both (a < b, each pair once)
    average       = (revs(a) + revs(b)) / 2                  (exact)
    coupling      = shared / average * 100                   (exact)
    kept when       average >= min_revs, shared >= min_shared_revs,
                    coupling >= min_coupling, floor(coupling) <= max_coupling
    degree        = int(coupling) (truncated) · average_revs = ceil(average)

sorted by degree, then average_revs, descending (ties by entity, coupled ascending).

``soc`` — columns ``entity, soc``: for each rev (no size limit) every row of an entity adds
``rows in the rev - 1``; kept when ``soc > min_revs`` (strictly, as code-maat); sorted by
soc, then entity, descending.
"""

from __future__ import annotations

from collections import Counter
from fractions import Fraction
from itertools import combinations

import pandas as pd

from analysis.measures.codemaat.options import Options, ceil_fraction

COLUMNS = ["entity", "coupled", "degree", "average_revs"]
VERBOSE_COLUMNS = ["first_entity_revisions", "second_entity_revisions", "shared_revisions"]


def change_sets(modifications: pd.DataFrame) -> list[list[str]]:
    """The entities of each rev (duplicates kept), revs in first-seen order."""
    sets: dict[str, list[str]] = {}
    for rev, entity in zip(modifications["rev"].astype(object), modifications["entity"].astype(object)):
        sets.setdefault(rev, []).append(entity)
    return list(sets.values())


def co_change_counts(modifications: pd.DataFrame, max_changeset_size: int) -> tuple[Counter, Counter, int]:
    """(revs per entity, shared revs per pair, change sets left out as too large)."""
    revs: Counter = Counter()
    shared: Counter = Counter()
    too_large = 0
    for entities in change_sets(modifications):
        if len(entities) > max_changeset_size:
            too_large += 1
            continue
        unique = sorted(set(entities))
        revs.update(unique)
        if len(unique) > 1:
            shared.update(combinations(unique, 2))
    return revs, shared, too_large


def coupling(modifications: pd.DataFrame, options: Options = Options()) -> pd.DataFrame:
    revs, shared, _ = co_change_counts(modifications, options.max_changeset_size)
    rows = []
    for (a, b), n in shared.items():
        average = Fraction(revs[a] + revs[b], 2)
        degree = Fraction(n * 100) / average
        if (average >= options.min_revs and n >= options.min_shared_revs and degree >= options.min_coupling
                and degree.numerator // degree.denominator <= options.max_coupling):
            rows.append((a, b, int(degree), ceil_fraction(average), revs[a], revs[b], n))
    frame = pd.DataFrame(rows, columns=COLUMNS + VERBOSE_COLUMNS)
    frame = frame.astype({"entity": "string", "coupled": "string", **{c: "int64" for c in COLUMNS[2:] + VERBOSE_COLUMNS}})
    frame = frame.sort_values(["entity", "coupled"]).sort_values(["degree", "average_revs"], ascending=False,
                                                                 kind="stable")
    columns = COLUMNS + VERBOSE_COLUMNS if options.verbose_results else COLUMNS
    return frame[columns].reset_index(drop=True)


def explain_coupling(modifications: pd.DataFrame, options: Options = Options()) -> list[str]:
    """Which threshold removed how many pairs, in the order they are applied."""
    sets = change_sets(modifications)
    revs, shared, too_large = co_change_counts(modifications, options.max_changeset_size)
    lines = [f"{len(sets)} change sets; {too_large} larger than max_changeset_size={options.max_changeset_size} "
             f"left out; {len(shared)} pairs of entities changed together"]
    remaining = []
    for (a, b), n in shared.items():
        remaining.append((Fraction(revs[a] + revs[b], 2), n))
    checks = [
        (f"average revisions below min_revs={options.min_revs}", lambda avg, n: avg >= options.min_revs),
        (f"shared revisions below min_shared_revs={options.min_shared_revs}", lambda avg, n: n >= options.min_shared_revs),
        (f"degree below min_coupling={options.min_coupling}", lambda avg, n: Fraction(n * 100) / avg >= options.min_coupling),
        (f"degree above max_coupling={options.max_coupling}",
         lambda avg, n: int(Fraction(n * 100) / avg) <= options.max_coupling),
    ]
    for label, ok in checks:
        kept = [(avg, n) for avg, n in remaining if ok(avg, n)]
        lines.append(f"{len(remaining) - len(kept)} pairs removed: {label}")
        remaining = kept
    lines.append(f"{len(remaining)} pairs kept")
    return lines


def soc(modifications: pd.DataFrame, options: Options = Options()) -> pd.DataFrame:
    total: Counter = Counter()
    for entities in change_sets(modifications):
        n = len(entities) - 1
        for e in entities:
            total[e] += n
    rows = [(e, n) for e, n in total.items() if n > options.min_revs]
    frame = pd.DataFrame(rows, columns=["entity", "soc"]).astype({"entity": "string", "soc": "int64"})
    return frame.sort_values(["soc", "entity"], ascending=False).reset_index(drop=True)


def explain_soc(modifications: pd.DataFrame, options: Options = Options()) -> list[str]:
    total: Counter[str] = Counter()
    for entities in change_sets(modifications):
        for e in entities:
            total[e] += len(entities) - 1
    low = sum(1 for n in total.values() if n <= options.min_revs)
    return [f"{len(total)} entities; {low} removed: sum of coupling not above min_revs={options.min_revs}"]
