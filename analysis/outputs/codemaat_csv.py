"""code-maat's CSV output, byte for byte: what ``seams codemaat`` writes.

code-maat prints its result with ``clojure.data.csv``: a header of the dataset's column
names (``n-revs``, ``average-revs``: Seams' ``_`` written ``-`` again), then one line per
row, ``\\n`` line ends, a field quoted (``"``, inner quotes doubled) only when it holds a
comma, a quote, ``\\r`` or ``\\n``. Values are printed as Clojure's ``str`` prints them:
whole numbers as they are, ratios code-maat rounds to two digits as Java doubles
(``Double.toString``: ``0.63``, ``1.0``, ``3.3E-4``), nothing (a missing value) as an empty
field. ``rows`` keeps the first rows only (code-maat's ``--rows``).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from decimal import Decimal

import pandas as pd


def codemaat_columns(columns: Iterable[str]) -> list[str]:
    """Seams' column names as code-maat's (``average_revs`` -> ``average-revs``)."""
    return [str(c).replace("_", "-") for c in columns]


def java_double(value: float) -> str:
    """``Double.toString``: plain decimals from 10^-3 up to 10^7, else ``d.dddE±n``; the
    shortest digits that read back as the same double, at least one after the point."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value == 0:
        return "-0.0" if math.copysign(1.0, value) < 0 else "0.0"
    magnitude = abs(value)
    if 1e-3 <= magnitude < 1e7:
        text = repr(float(value))
        return text if "." in text or "e" in text else text + ".0"
    sign, digits, exponent = Decimal(repr(float(value))).as_tuple()
    shown = "".join(map(str, digits)).rstrip("0") or "0"
    power = len(digits) - 1 + int(exponent)
    return f"{'-' if sign else ''}{shown[0]}.{shown[1:] or '0'}E{power}"


def codemaat_value(value) -> str:
    """One value as Clojure's ``str`` prints it."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if hasattr(value, "item") and not isinstance(value, str):
        value = value.item()
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return java_double(value)
    return str(value)


def csv_field(text: str) -> str:
    """``clojure.data.csv``'s quoting."""
    if any(ch in text for ch in ',"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


def codemaat_csv(frame: pd.DataFrame, *, rows: int | None = None) -> str:
    """The frame as code-maat writes it (see the module docstring)."""
    body = frame if rows is None else frame.head(max(rows, 0))
    lines = [",".join(csv_field(c) for c in codemaat_columns(frame.columns))]
    for record in body.itertuples(index=False, name=None):
        lines.append(",".join(csv_field(codemaat_value(v)) for v in record))
    return "\n".join(lines) + "\n"
