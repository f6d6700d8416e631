"""Path globs as Seams reads them everywhere (context paths, ignored paths, exclusions):
``**`` spans path segments, ``*`` and ``?`` stay within one."""

from __future__ import annotations

import re
from functools import lru_cache


@lru_cache(maxsize=4096)
def glob_regex(glob: str) -> re.Pattern:
    """Translate a path glob (``**`` spans segments, ``*`` and ``?`` do not) to a regex."""
    out, i = [], 0
    while i < len(glob):
        c = glob[i]
        if glob.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif glob.startswith("**", i):
            out.append(".*")
            i += 2
        elif c == "*":
            out.append("[^/]*")
            i += 1
        elif c == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(c))
            i += 1
    return re.compile("".join(out) + r"\Z")
