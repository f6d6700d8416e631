"""What one source file says about its dependencies, read with a tree-sitter grammar.

:class:`FileFacts` is everything resolution needs from one file, in plain values, so it
can be cached by the file's content hash and resolved again without parsing:

- ``namespaces``: the package (Java, Kotlin, Go), namespaces (C#) or namespace (PHP) the
  file declares, in order;
- ``declarations``: the names the file defines that other files can name — qualified
  (``com.shop.billing.Invoice``, ``Shop\\Billing\\Invoice``, ``Billing::Invoice``) or, for
  Go, the package-level names;
- ``imports``: ``[line, form, target, alias]`` for every import statement (form is the
  language's: ``single``, ``wildcard``, ``static``, ``using``, ``import``, ``require``,
  ``require_relative``, ``use``, ``include``, ``type`` ...);
- ``names``: ``[name, line, scope]``, the first line of each distinct name the file
  refers to (type names, ``pkg.Name`` selectors, constant paths), with the lexical scope
  where the language needs it (Ruby's module nesting);
- ``error``: ``[line, message]`` of the first syntax error tree-sitter found, if any (the
  rest of the file is still read: tree-sitter recovers around the error).
"""

from __future__ import annotations

import gc
import hashlib
import os
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from functools import cache
from pathlib import Path
from typing import cast

import orjson
from tree_sitter import Language, Node, Parser, Query, QueryCursor

#: Bump when an extractor changes what it returns: cached facts of older versions are ignored.
EXTRACTOR_VERSION = "1"
#: A file modified this recently (ns) is read again next run even when its size and time match
#: (a change within the file system's time granularity would otherwise go unseen).
RACY_NS = 2_000_000_000


@dataclass
class FileFacts:
    language: str
    namespaces: list[str] = field(default_factory=list)
    declarations: list[str] = field(default_factory=list)
    imports: list[list] = field(default_factory=list)
    names: list[list] = field(default_factory=list)
    error: list | None = None

    def to_json(self) -> bytes:
        return orjson.dumps(asdict(self))

    @classmethod
    def from_json(cls, data: bytes) -> FileFacts:
        return cls(**orjson.loads(data))


# --------------------------------------------------------------------------------------
# tree-sitter helpers


#: Grammar used per language (and per file ending, for TypeScript's JSX flavour).
GRAMMARS = {"java": "java", "kotlin": "kotlin", "csharp": "csharp", "go": "go",
            "javascript": "javascript", "typescript": "typescript", "ruby": "ruby", "php": "php"}


@cache
def language(grammar: str) -> Language:
    from tree_sitter_language_pack import SupportedLanguage, get_language

    return get_language(cast(SupportedLanguage, grammar))  # GRAMMARS' values and "tsx": names the pack supports


@cache
def parser(grammar: str) -> Parser:
    from tree_sitter_language_pack import SupportedLanguage, get_parser

    return get_parser(cast(SupportedLanguage, grammar))


@cache
def query(grammar: str, source: str) -> Query:
    return Query(language(grammar), source)


def captures(grammar: str, source: str, node: Node) -> dict[str, list[Node]]:
    return QueryCursor(query(grammar, source)).captures(node)


def text(node: Node | None) -> str:
    return "" if node is None else node.text.decode("utf-8", "replace")  # type: ignore[union-attr]  # text is None only for a tree parsed without its bytes; every tree here is parsed from bytes


def line(node: Node) -> int:
    return node.start_point[0] + 1


def first_syntax_error(root: Node) -> list | None:
    """``[line, message]`` for the first ERROR or MISSING node, or None."""
    if not root.has_error:
        return None
    stack = [root]
    while stack:
        node = stack.pop()
        if node.is_missing:
            return [line(node), f"syntax error: missing {node.type!r}"]
        if node.is_error:
            excerpt = text(node).splitlines()[0][:40] if text(node) else ""
            return [line(node), f"syntax error: unexpected {excerpt!r}"]
        stack.extend(c for c in reversed(node.children) if c.has_error or c.is_missing)
    return [line(root), "syntax error"]


def first_seen(entries: list[tuple[str, int, str]]) -> list[list]:
    """``[name, line, scope]`` per distinct (name, scope), at its first line, sorted."""
    best: dict[tuple[str, str], int] = {}
    for name, ln, scope in entries:
        key = (name, scope)
        if key not in best or ln < best[key]:
            best[key] = ln
    return [[n, ln, s] for (n, s), ln in sorted(best.items(), key=lambda kv: (kv[1], kv[0]))]


# --------------------------------------------------------------------------------------
# parsing with a per-file cache


Extractor = Callable[[Node, str], FileFacts]


def grammar_for(language_name: str, path: str) -> str:
    if language_name == "typescript" and path.endswith(".tsx"):
        return "tsx"
    if language_name == "javascript":
        return "javascript"  # the JavaScript grammar reads JSX
    return GRAMMARS[language_name]


def read_facts(data: bytes, language_name: str, path: str, extract: Extractor) -> FileFacts:
    """Parse ``data`` with the language's grammar and extract its facts (pure)."""
    grammar = grammar_for(language_name, path)
    tree = parser(grammar).parse(data)
    facts = extract(tree.root_node, grammar)
    facts.error = first_syntax_error(tree.root_node)
    return facts


@contextmanager
def paused_gc():
    """The cyclic garbage collector off for a block that builds many containers and no cycles
    (reading a cache of thousands of files' facts); back on after it, as it was."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class FactsCache:
    """Facts by content hash in one file, ``<cache_dir>/code_imports/v<version>/facts.json``; None: no cache.

    The file holds ``facts`` (content key -> facts) and ``files`` (repository-relative path
    -> ``[size, mtime_ns, key, utf8]``): a file whose size and modification time are
    unchanged is not read again (files modified in the last :data:`RACY_NS` are not
    recorded). Read once per run, rewritten atomically (temporary file, then rename) by
    :meth:`save` when something changed. Safe to delete.
    """

    def __init__(self, cache_dir: Path | None):
        self.folder = None if cache_dir is None else Path(cache_dir) / "code_imports" / f"v{EXTRACTOR_VERSION}"
        self.hits = 0
        self.misses = 0
        self.facts: dict[str, dict] = {}
        self.files: dict[str, list] = {}
        self.seen: dict[str, list] = {}
        self.used: set[str] = set()
        self.changed = False
        if self.folder is not None:
            try:
                with paused_gc():
                    packed = orjson.loads((self.folder / "facts.json").read_bytes())
            except (OSError, orjson.JSONDecodeError):
                packed = {}
            if isinstance(packed, dict) and isinstance(packed.get("facts"), dict) and isinstance(packed.get("files"), dict):
                self.facts, self.files = packed["facts"], packed["files"]

    @staticmethod
    def key(data: bytes, language_name: str, path: str) -> str:
        grammar = grammar_for(language_name, path)
        return hashlib.sha256(f"{EXTRACTOR_VERSION}\0{language_name}\0{grammar}\0".encode() + data).hexdigest()

    def known(self, path: str, size: int, mtime_ns: int) -> tuple[str, bool] | None:
        """``(key, utf8)`` recorded for ``path`` when its size and time are unchanged and its facts cached."""
        entry = self.files.get(path)
        if (isinstance(entry, list) and len(entry) == 4 and entry[0] == size and entry[1] == mtime_ns
                and entry[2] in self.facts):
            return entry[2], bool(entry[3])
        return None

    def record(self, path: str, size: int, mtime_ns: int, key: str, utf8: bool) -> None:
        """Remember how ``path`` looked this run (nothing when it was modified too recently)."""
        if mtime_ns < time.time_ns() - RACY_NS:
            self.seen[path] = [size, mtime_ns, key, utf8]

    def get(self, key: str) -> FileFacts | None:
        if self.folder is None:
            return None
        data = self.facts.get(key)
        try:
            facts = FileFacts(**data) if isinstance(data, dict) else None
        except TypeError:
            facts = None
        if facts is None:
            return None
        self.hits += 1
        self.used.add(key)
        return facts

    def put(self, key: str, facts: FileFacts) -> None:
        self.misses += 1
        if self.folder is None:
            return
        self.facts[key] = asdict(facts)
        self.used.add(key)
        self.changed = True

    def save(self) -> None:
        """Write the cache when a file's facts or look changed (only this run's files are kept)."""
        if self.folder is None or (not self.changed and self.seen == self.files):
            return
        keep = {k: v for k, v in self.facts.items() if k in self.used}
        self.folder.mkdir(parents=True, exist_ok=True)
        file = self.folder / "facts.json"
        tmp = file.with_name(f"facts.json.{os.getpid()}.tmp")
        tmp.write_bytes(orjson.dumps({"facts": keep, "files": self.seen}))
        os.replace(tmp, file)
