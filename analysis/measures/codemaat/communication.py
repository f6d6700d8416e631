"""``communication``: how much pairs of authors work on the same entities (Conway's law).

Input: a modifications frame. Columns ``author, peer, shared, average, strength``::

    entities(a)   = distinct entities a changed
    shared(a, p)  = entities both a and p changed
    average       = ceil((|entities(a)| + |entities(p)|) / 2)
    strength      = int(shared / average * 100)

one row per ordered pair of different authors (both a, p and p, a); sorted by strength,
then author, descending (ties by peer descending).
"""

from __future__ import annotations

from collections import Counter
from itertools import product

import pandas as pd

from analysis.measures.codemaat.options import Options

COLUMNS = ["author", "peer", "shared", "average", "strength"]


def communication(modifications: pd.DataFrame, options: Options = Options()) -> pd.DataFrame:
    pairs: Counter = Counter()
    pairs_of_entity = modifications[["entity", "author"]].drop_duplicates()
    for _, group in pairs_of_entity.groupby("entity", sort=False):
        people = group["author"].tolist()
        pairs.update(product(people, repeat=2))
    rows = []
    for (me, peer), shared in pairs.items():
        if me == peer:
            continue
        total = pairs[(me, me)] + pairs[(peer, peer)]
        average = -(-total // 2)
        rows.append((me, peer, shared, average, shared * 100 // average))
    frame = pd.DataFrame(rows, columns=COLUMNS).astype({"author": "string", "peer": "string", "shared": "int64",
                                                        "average": "int64", "strength": "int64"})
    return frame.sort_values(["strength", "author", "peer"], ascending=False).reset_index(drop=True)
