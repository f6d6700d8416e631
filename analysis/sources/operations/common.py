"""Reading one operations log file: open it, parse it, count what was read and rejected."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

import pandas as pd

from analysis.core.errors import SourceError
from analysis.core.frames import SourceFrames
from analysis.core.rejects import Rejects


def mine_csv_log(path: Path, frame: str, parse: Callable[[Iterable[str], str, Rejects], pd.DataFrame],
                 rejects: Rejects, what: str) -> SourceFrames:
    """``parse`` over the file at ``path`` as one ``frame``; SourceError when it cannot be read."""
    before = rejects.count(str(path))
    try:
        with Path(path).open(encoding="utf-8", errors="replace", newline="") as fh:
            table = parse(fh, str(path), rejects)
    except OSError as exc:
        raise SourceError(str(path), f"cannot read the {what}: {exc.strerror or exc}") from None
    rejected = rejects.count(str(path)) - before
    return SourceFrames({frame: table}, len(table) + rejected, rejected, [f"{what}: {len(table)} rows from {Path(path).name}"])
