"""Entity and author counts: ``revisions``, ``authors``, ``summary``.

Input: a modifications frame (:mod:`analysis.measures.codemaat.log`).

- ``revisions`` — ``entity, n_revs``: rows per entity (one per commit that changed it;
  after grouping, one per file of the group); sorted by n_revs descending.
- ``authors`` — ``entity, n_authors, n_revs``: distinct authors and rows per entity;
  sorted by n_authors, then n_revs, descending.
- ``summary`` — ``statistic, value``: number-of-commits (distinct revs),
  number-of-entities (distinct entities), number-of-entities-changed (rows),
  number-of-authors (distinct authors).

Ties keep entity order ascending (code-maat leaves them in hash order).
"""

from __future__ import annotations

import pandas as pd

from analysis.measures.codemaat.options import Options


def revisions(modifications: pd.DataFrame, options: Options = Options()) -> pd.DataFrame:
    counts = modifications.groupby("entity", sort=True).size()
    frame = pd.DataFrame({"entity": counts.index.astype("string"), "n_revs": counts.to_numpy(dtype="int64")})
    return frame.sort_values("n_revs", ascending=False, kind="stable").reset_index(drop=True)


def authors(modifications: pd.DataFrame, options: Options = Options()) -> pd.DataFrame:
    g = modifications.groupby("entity", sort=True)
    frame = pd.DataFrame({"entity": g.size().index.astype("string"),
                          "n_authors": g["author"].nunique().to_numpy(dtype="int64"),
                          "n_revs": g.size().to_numpy(dtype="int64")})
    return frame.sort_values(["n_authors", "n_revs"], ascending=False, kind="stable").reset_index(drop=True)


def summary(modifications: pd.DataFrame, options: Options = Options()) -> pd.DataFrame:
    rows = [
        ("number-of-commits", modifications["rev"].nunique()),
        ("number-of-entities", modifications["entity"].nunique()),
        ("number-of-entities-changed", len(modifications)),
        ("number-of-authors", modifications["author"].nunique()),
    ]
    return pd.DataFrame(rows, columns=["statistic", "value"]).astype({"statistic": "string", "value": "int64"})
