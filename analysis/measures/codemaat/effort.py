"""Effort by revisions: ``entity-effort``, ``main-dev-by-revs``, ``fragmentation``.

Input: a modifications frame; a revision here is a row (one commit's change of an entity).

- ``entity_effort`` — ``entity, author, author_revs, total_revs``: rows per author and
  entity, and per entity; by entity ascending, then author_revs descending.
- ``main_dev_by_revs`` — ``entity, main_dev, added, total_added, ownership``: the author
  with most revisions of the entity (code-maat's column names: ``added`` holds the
  author's revisions, ``total_added`` the entity's); ownership = centi(added / total).
- ``fragmentation`` — ``entity, fractal_value, total_revs``: fractal value
  ``1 - sum over authors of (author_revs / total_revs)^2`` (D'Ambros et al.), to centi;
  by fractal_value, then total_revs, descending.

Ties between authors keep the order in which they first appear in the modifications, as
code-maat does for entities with at most 8 authors (beyond that its order is a hash order).
"""

from __future__ import annotations

from fractions import Fraction

import pandas as pd

from analysis.measures.codemaat.options import Options, centi


def entity_effort(modifications: pd.DataFrame, options: Options = Options()) -> pd.DataFrame:
    m = modifications.assign(first_seen=range(len(modifications)))
    per = m.groupby(["entity", "author"], sort=True).agg(author_revs=("rev", "size"),
                                                         first_seen=("first_seen", "min")).reset_index()
    totals = modifications.groupby("entity", sort=True).size()
    per["total_revs"] = per["entity"].map(totals).astype("int64")
    per = per.astype({"entity": "string", "author": "string", "author_revs": "int64"})
    per = (per.sort_values("first_seen", kind="stable").sort_values("author_revs", ascending=False, kind="stable")
           .sort_values("entity", kind="stable"))
    return per[["entity", "author", "author_revs", "total_revs"]].reset_index(drop=True)


def main_dev_by_revs(modifications: pd.DataFrame, options: Options = Options()) -> pd.DataFrame:
    effort = entity_effort(modifications, options)
    first = effort.drop_duplicates("entity", keep="first")
    ownership = [centi(Fraction(int(a), int(t))) for a, t in zip(first["author_revs"], first["total_revs"])]
    frame = pd.DataFrame({"entity": first["entity"].to_numpy(), "main_dev": first["author"].to_numpy(),
                          "added": first["author_revs"].to_numpy(), "total_added": first["total_revs"].to_numpy(),
                          "ownership": ownership})
    return frame.astype({"entity": "string", "main_dev": "string", "added": "int64", "total_added": "int64",
                         "ownership": "float64"}).reset_index(drop=True)


def fragmentation(modifications: pd.DataFrame, options: Options = Options()) -> pd.DataFrame:
    effort = entity_effort(modifications, options)
    rows = []
    for entity, group in effort.groupby("entity", sort=True):
        total = int(group["total_revs"].iloc[0])
        value = 1 - sum(Fraction(int(a), total) ** 2 for a in group["author_revs"])
        rows.append((entity, centi(value), total))
    frame = pd.DataFrame(rows, columns=["entity", "fractal_value", "total_revs"])
    frame = frame.astype({"entity": "string", "fractal_value": "float64", "total_revs": "int64"})
    return frame.sort_values(["fractal_value", "total_revs"], ascending=False, kind="stable").reset_index(drop=True)
