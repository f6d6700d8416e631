"""Paths as the report shows them: relative to the repository or to the config file, never
the absolute paths of the machine that ran Seams.

A report travels (it is forwarded, attached, printed): ``/home/ann/src/shop/billing/api.py``
tells the reader about Ann's disk, not about the monolith. :class:`PathDisplay` knows the
absolute folders of one run — the repositories (paths inside them become repository-relative),
the config file's folder and every configured input (shown relative to the config file, as a
user writes them), the cache — and rewrites any text that quotes them. The home folder and the
working folder are the last resort, so a path Seams did not configure still leaves no trace of
the machine.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class PathDisplay:
    """Rewrites absolute paths in text (see the module docstring)."""

    #: (absolute prefix, what it becomes), longest first
    replacements: tuple[tuple[str, str], ...]
    #: the prefixes that are repositories: a path inside one is shown relative to it
    repositories: frozenset[str] = frozenset()

    @classmethod
    def of(cls, config) -> PathDisplay:
        base = Path(config.path).resolve().parent
        pairs: dict[str, str] = {}
        repositories = set()
        for source in (config.git, config.imports):
            if source is not None:
                repo = Path(source.repository).resolve()
                pairs[str(repo)] = _relative(repo, base)
                repositories.add(str(repo))
                for extra in (getattr(source, "deploys", None), getattr(source, "team_map", None)):
                    if extra:
                        pairs[str(Path(extra).resolve())] = _relative(Path(extra).resolve(), base)
        for item in (*config.sql, *config.traces):
            path = Path(item.path)
            if path.is_absolute() or str(path) not in ("-", ""):
                resolved = path.resolve()
                pairs[str(resolved)] = _relative(resolved, base)
        cache = Path(config.cache_dir).resolve()
        pairs[str(cache)] = _relative(cache, base)
        pairs[str(base)] = "."
        for folder, name in ((Path.cwd().resolve(), "."), (Path.home().resolve(), "~")):
            pairs.setdefault(str(folder), name)
        ordered = sorted(((k, v) for k, v in pairs.items() if k not in ("/", "")), key=lambda kv: -len(kv[0]))
        return cls(tuple(ordered), frozenset(repositories))

    def __call__(self, text: str) -> str:
        """``text`` with every known absolute prefix rewritten: a path inside a repository
        becomes repository-relative (``billing/api.py``), the repository itself its
        config-relative form, other inputs config-relative."""
        if not text or "/" not in text:
            return text
        for prefix, shown in self.replacements:
            if prefix not in text:
                continue
            inside = re.compile(re.escape(prefix) + r"/")
            text = inside.sub("" if self._is_repository(prefix) else ("" if shown == "." else shown + "/"), text)
            text = re.sub(re.escape(prefix) + r"(?![\w.-])", shown, text)
        return _ABSOLUTE.sub(_on_this_machine, text) if "/" in text else text

    def _is_repository(self, prefix: str) -> bool:
        return prefix in self.repositories


#: An absolute path of two segments or more (routes look alike: only those whose first two
#: segments exist on this machine are rewritten).
_ABSOLUTE = re.compile(r"(?<![\w.:/~-])/[^\s/'\"<>:]+/[^\s'\"<>:,;)]*")


def _on_this_machine(match: re.Match) -> str:
    """The last resort: an absolute path of this machine that no configured folder explains
    keeps only its last part."""
    path = match.group(0)
    parts = path.split("/")
    if not os.path.isdir("/".join(parts[:3])):
        return path
    return "…/" + (parts[-1] or parts[-2])


def _relative(path: Path, base: Path) -> str:
    """``path`` relative to ``base`` (``..`` allowed), posix; its name when on another drive."""
    try:
        return Path(os.path.relpath(path, base)).as_posix()
    except ValueError:
        return path.name
