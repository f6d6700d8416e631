"""Line churn: ``abs-churn``, ``author-churn``, ``entity-churn``, ``entity-ownership``,
``main-dev``, ``refactoring-main-dev``.

Input: a modifications frame with line counts (binary files, NA, count as 0 — code-maat
reads git's ``-`` as 0). A frame without any line count raises :class:`CodeMaatError`
(code-maat: "the given VCS data doesn't contain modification metrics").

- ``abs_churn`` — ``date, added, deleted, commits`` (distinct revs that day); by date.
- ``author_churn`` — ``author, added, deleted, commits``; by author ascending.
- ``entity_churn`` — ``entity, added, deleted, commits``; by added descending.
- ``entity_ownership`` — ``entity, author, added, deleted``; by entity (then author).
- ``main_dev`` — ``entity, main_dev, added, total_added, ownership``: the author who added
  most lines; ownership = centi(added / max(total_added, 1)).
- ``refactoring_main_dev`` — ``entity, main_dev, removed, total_removed, ownership``: the
  author who deleted most lines.

centi = 2 significant digits, half up (:func:`analysis.measures.codemaat.options.centi`). Where
authors tie for the most lines, code-maat takes the last of them in its grouping order,
which for an entity with at most 8 authors is the order in which they first appear in the
log (Clojure's small maps keep insertion order); Seams takes the tied author who first
appears last in the modifications. For entities with more authors code-maat's order is a
hash order and a tie may name another (equally ranked) author.
"""

from __future__ import annotations

from fractions import Fraction

import pandas as pd

from analysis.measures.codemaat.errors import CodeMaatError
from analysis.measures.codemaat.options import Options, centi


def _with_counts(modifications: pd.DataFrame) -> pd.DataFrame:
    if len(modifications) and modifications["loc_added"].isna().all() and modifications["loc_deleted"].isna().all():
        raise CodeMaatError("churn analysis: the modifications have no line counts (mine the history with churn, "
                            "or give a log made with --numstat)")
    out = modifications.copy()
    out["added"] = out["loc_added"].fillna(0).astype("int64")
    out["deleted"] = out["loc_deleted"].fillna(0).astype("int64")
    return out


def _churn_by(modifications: pd.DataFrame, key: str) -> pd.DataFrame:
    m = _with_counts(modifications)
    g = m.groupby(key, sort=True)
    frame = pd.DataFrame({key: g.size().index.astype("string"),
                          "added": g["added"].sum().to_numpy(dtype="int64"),
                          "deleted": g["deleted"].sum().to_numpy(dtype="int64"),
                          "commits": g["rev"].nunique().to_numpy(dtype="int64")})
    return frame


def abs_churn(modifications: pd.DataFrame, options: Options = Options()) -> pd.DataFrame:
    return _churn_by(modifications, "date").sort_values(["date", "added", "deleted"], kind="stable").reset_index(drop=True)


def author_churn(modifications: pd.DataFrame, options: Options = Options()) -> pd.DataFrame:
    return _churn_by(modifications, "author").sort_values(["author", "added"], kind="stable").reset_index(drop=True)


def entity_churn(modifications: pd.DataFrame, options: Options = Options()) -> pd.DataFrame:
    frame = _churn_by(modifications, "entity")
    return frame.sort_values("added", ascending=False, kind="stable").reset_index(drop=True)


def _by_entity_author(modifications: pd.DataFrame) -> pd.DataFrame:
    """Lines per entity and author, with ``first_seen``: the row where the author first
    changed the entity (code-maat's grouping order)."""
    m = _with_counts(modifications).assign(first_seen=range(len(modifications)))
    g = m.groupby(["entity", "author"], sort=True).agg(added=("added", "sum"), deleted=("deleted", "sum"),
                                                       first_seen=("first_seen", "min")).reset_index()
    return g.astype({"entity": "string", "author": "string", "added": "int64", "deleted": "int64"})


def entity_ownership(modifications: pd.DataFrame, options: Options = Options()) -> pd.DataFrame:
    return _by_entity_author(modifications).drop(columns="first_seen").reset_index(drop=True)


def _main_dev(modifications: pd.DataFrame, metric: str, names: tuple[str, str]) -> pd.DataFrame:
    per_author = _by_entity_author(modifications)
    rows = []
    for entity, group in per_author.groupby("entity", sort=True):
        values = group[metric].to_numpy()
        authors_ = group["author"].to_numpy()
        seen = group["first_seen"].to_numpy()
        best = max(range(len(values)), key=lambda k: (values[k], seen[k]))
        total = int(values.sum())
        own = int(values[best])
        rows.append((entity, authors_[best], own, total, centi(Fraction(own, max(total, 1)))))
    frame = pd.DataFrame(rows, columns=["entity", "main_dev", names[0], names[1], "ownership"])
    return frame.astype({"entity": "string", "main_dev": "string", names[0]: "int64", names[1]: "int64",
                         "ownership": "float64"})


def main_dev(modifications: pd.DataFrame, options: Options = Options()) -> pd.DataFrame:
    return _main_dev(modifications, "added", ("added", "total_added"))


def refactoring_main_dev(modifications: pd.DataFrame, options: Options = Options()) -> pd.DataFrame:
    return _main_dev(modifications, "deleted", ("removed", "total_removed"))
