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

import hashlib
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Callable

import orjson
from tree_sitter import Language, Node, Parser, Query, QueryCursor

#: Bump when an extractor changes what it returns: cached facts of older versions are ignored.
EXTRACTOR_VERSION = "1"


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
    def from_json(cls, data: bytes) -> "FileFacts":
        return cls(**orjson.loads(data))


# --------------------------------------------------------------------------------------
# tree-sitter helpers


#: Grammar used per language (and per file ending, for TypeScript's JSX flavour).
GRAMMARS = {"java": "java", "kotlin": "kotlin", "csharp": "csharp", "go": "go",
            "javascript": "javascript", "typescript": "typescript", "ruby": "ruby", "php": "php"}


@lru_cache(maxsize=None)
def language(grammar: str) -> Language:
    from tree_sitter_language_pack import get_language

    return get_language(grammar)


@lru_cache(maxsize=None)
def parser(grammar: str) -> Parser:
    from tree_sitter_language_pack import get_parser

    return get_parser(grammar)


@lru_cache(maxsize=None)
def query(grammar: str, source: str) -> Query:
    return Query(language(grammar), source)


def captures(grammar: str, source: str, node: Node) -> dict[str, list[Node]]:
    return QueryCursor(query(grammar, source)).captures(node)


def text(node: Node | None) -> str:
    return "" if node is None else node.text.decode("utf-8", "replace")


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


class FactsCache:
    """Facts by content hash under ``<cache_dir>/code_imports/v<version>/``; None: no cache.

    Safe to delete; entries are written atomically (temporary file, then rename).
    """

    def __init__(self, cache_dir: Path | None):
        self.folder = None if cache_dir is None else Path(cache_dir) / "code_imports" / f"v{EXTRACTOR_VERSION}"
        self.hits = 0
        self.misses = 0

    @staticmethod
    def key(data: bytes, language_name: str, path: str) -> str:
        grammar = grammar_for(language_name, path)
        return hashlib.sha256(f"{EXTRACTOR_VERSION}\0{language_name}\0{grammar}\0".encode() + data).hexdigest()

    def get(self, key: str) -> FileFacts | None:
        if self.folder is None:
            return None
        file = self.folder / key[:2] / f"{key}.json"
        try:
            facts = FileFacts.from_json(file.read_bytes())
        except (OSError, orjson.JSONDecodeError, TypeError):
            return None
        self.hits += 1
        return facts

    def put(self, key: str, facts: FileFacts) -> None:
        self.misses += 1
        if self.folder is None:
            return
        file = self.folder / key[:2] / f"{key}.json"
        file.parent.mkdir(parents=True, exist_ok=True)
        tmp = file.with_suffix(f".{id(facts)}.tmp")
        tmp.write_bytes(facts.to_json())
        tmp.replace(file)
