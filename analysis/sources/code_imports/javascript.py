"""JavaScript and TypeScript: ES imports, ``require``, re-exports, index files, aliases, workspaces.

Extraction: every module specifier written as a string literal in ``import … from``,
``import "…"``, ``export … from`` (re-exports), ``import x = require("…")``,
``require("…")`` and ``import("…")``. TypeScript's ``import type`` and ``export type … from``
are kept with kind ``type_checking`` (erased at run time), every other one is ``static``.

Resolution of a specifier, from the importing file, in order:

1. relative (``./``, ``../``): the path, the path plus an extension
   (:data:`RESOLVED_EXTENSIONS`), a ``.js`` written for a ``.ts`` source, the folder's
   ``package.json`` entry (``source``, ``types``, ``module``, ``main``, ``exports["."]``) or
   its ``index`` file; any other file of the repository (a stylesheet or an image imported
   for a bundler) is landed on as it is; not found: ``unresolved``;
2. an alias of the nearest ``tsconfig.json`` / ``jsconfig.json`` ``compilerOptions.paths``
   (relative ``extends`` followed; paths relative to ``baseUrl``, else to the config's
   folder); matched but not found: ``unresolved`` (a catch-all ``"*"`` pattern goes on to
   the next steps, as TypeScript falls back to packages);
3. a package of the repository (a monorepo's workspaces: every ``package.json`` with a
   ``name`` in the repository), by name then subpath or entry; not found: ``unresolved``;
4. a path under ``compilerOptions.baseUrl``, when such a file exists;
5. otherwise a Node.js built-in module (``fs``, ``node:fs``) is ``stdlib`` and anything
   else ``third_party`` (an npm dependency).
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field

from tree_sitter import Node, QueryCursor

from analysis.sources.code_imports.facts import FileFacts, line, query, text
from analysis.sources.code_imports.resolution import (
    STDLIB,
    THIRD_PARTY,
    UNRESOLVED,
    Repo,
    Resolution,
    folder_of,
    join,
    nearest,
)

RESOLVED_EXTENSIONS = (".ts", ".tsx", ".d.ts", ".mts", ".cts", ".js", ".jsx", ".mjs", ".cjs", ".json")
_JS_TO_TS = {".js": (".ts", ".tsx", ".d.ts"), ".jsx": (".tsx",), ".mjs": (".mts",), ".cjs": (".cts",)}
PACKAGE_ENTRY_FIELDS = ("source", "types", "typings", "module", "main")

NODE_BUILTINS = frozenset("""
assert async_hooks buffer child_process cluster console constants crypto dgram diagnostics_channel dns
domain events fs http http2 https inspector module net os path perf_hooks process punycode querystring
readline repl stream string_decoder sys timers tls trace_events tty url util v8 vm wasi worker_threads zlib
test sqlite sea
""".split())

_CALLS = """
(call_expression function: (identifier) @fn arguments: (arguments . (string) @spec))
(call_expression function: (import) @fn arguments: (arguments . (string) @spec))
"""


def _specifier(string_node: Node | None) -> str:
    raw = text(string_node)
    return raw[1:-1] if len(raw) >= 2 else ""


def extract_javascript(root: Node, grammar: str) -> FileFacts:
    facts = FileFacts("typescript" if grammar in ("typescript", "tsx") else "javascript")
    for node in root.named_children:
        if node.type == "import_statement":
            tokens = {c.type for c in node.children if not c.is_named}
            source = node.child_by_field_name("source")
            if source is None:
                clause = next((c for c in node.named_children if c.type == "import_require_clause"), None)
                source = next((c for c in clause.named_children if c.type == "string"), None) if clause else None
            if source is not None:
                facts.imports.append([line(node), "type" if "type" in tokens else "import", _specifier(source), ""])
        elif node.type == "export_statement" and node.child_by_field_name("source") is not None:
            tokens = {c.type for c in node.children if not c.is_named}
            facts.imports.append([line(node), "type" if "type" in tokens else "reexport",
                                  _specifier(node.child_by_field_name("source")), ""])
    for _, match in QueryCursor(query(grammar, _CALLS)).matches(root):
        fn, spec = match["fn"][0], match["spec"][0]
        if fn.type == "import":
            facts.imports.append([line(spec), "dynamic", _specifier(spec), ""])
        elif text(fn) == "require":
            facts.imports.append([line(spec), "require", _specifier(spec), ""])
    facts.imports.sort(key=lambda i: (i[0], i[2]))
    return facts


# --------------------------------------------------------------------------------------


@dataclass
class _Aliases:
    """compilerOptions of one tsconfig.json, folders made repository-relative."""

    base_url: str | None = None
    paths: list[tuple[str, list[str]]] = field(default_factory=list)  # pattern, targets (relative)


class _Resolver:
    def __init__(self, repo: Repo):
        self.repo = repo
        self.files = repo.all_files
        self.configs: dict[str, _Aliases] = {}
        self.packages: dict[str, str] = {}  # package name -> folder
        for path in sorted(p for p in self.files if p == "package.json" or p.endswith("/package.json")):
            manifest = repo.read_json(path) or {}
            name = manifest.get("name")
            if isinstance(name, str) and name and name not in self.packages:
                self.packages[name] = folder_of(path)

    def aliases(self, importer: str) -> _Aliases:
        config = nearest(importer, "tsconfig.json", self.files) or nearest(importer, "jsconfig.json", self.files)
        if config is None:
            return _Aliases()
        if config not in self.configs:
            self.configs[config] = self._read_config(config, set())
        return self.configs[config]

    def _read_config(self, path: str, seen: set[str]) -> _Aliases:
        seen.add(path)
        raw = self.repo.read_json(path) or {}
        inherited = _Aliases()
        extends = raw.get("extends")
        for parent in ([extends] if isinstance(extends, str) else extends if isinstance(extends, list) else []):
            if isinstance(parent, str) and parent.startswith("."):
                target = join(folder_of(path), parent if parent.endswith(".json") else parent + ".json")
                if target and target in self.files and target not in seen:
                    inherited = self._read_config(target, seen)
        options = raw.get("compilerOptions") or {}
        folder = folder_of(path)
        base_url = inherited.base_url
        if isinstance(options.get("baseUrl"), str):
            base_url = join(folder, options["baseUrl"])
        paths = inherited.paths
        if isinstance(options.get("paths"), dict):
            root = base_url if base_url is not None else folder
            joined = [(pattern, [join(root, t) for t in targets if isinstance(t, str)])
                      for pattern, targets in options["paths"].items() if isinstance(targets, list)]
            paths = [(p, [t for t in ts if t is not None]) for p, ts in joined]
        return _Aliases(base_url, paths)

    def file(self, base: str | None, entries: bool = True) -> str | None:
        """The file a module path names: itself, plus an extension, its TS source, or as a folder."""
        if base is None:
            return None
        if base in self.files:  # a source file, or an asset (.css, .svg) imported for a bundler
            return base
        for ext in RESOLVED_EXTENSIONS:
            if base + ext in self.files:
                return base + ext
        stem, ext = posixpath.splitext(base)
        for ts_ext in _JS_TO_TS.get(ext, ()):
            if stem + ts_ext in self.files:
                return stem + ts_ext
        if entries:
            entry = self.package_entry(base)
            if entry:
                return entry
        for ext in RESOLVED_EXTENSIONS:
            index = f"{base}/index{ext}" if base else f"index{ext}"
            if index in self.files:
                return index
        return None

    def package_entry(self, folder: str) -> str | None:
        manifest = self.repo.read_json(f"{folder}/package.json" if folder else "package.json")
        if not manifest:
            return None
        candidates = [manifest.get(f) for f in PACKAGE_ENTRY_FIELDS]
        exports = manifest.get("exports")
        dot = exports.get(".") if isinstance(exports, dict) else exports
        if isinstance(dot, dict):
            candidates.extend(dot.get(k) for k in ("types", "import", "require", "default"))
        elif isinstance(dot, str):
            candidates.append(dot)
        for value in candidates:
            if isinstance(value, str):
                found = self.file(join(folder, value), entries=False)
                if found:
                    return found
        return None

    def resolve(self, importer: str, specifier: str) -> tuple[str | None, str]:
        """``(file, "")`` or ``(None, classification)``."""
        if specifier.startswith(("./", "../")) or specifier in (".", ".."):
            found = self.file(join(folder_of(importer), specifier))
            return (found, "") if found else (None, UNRESOLVED)
        if specifier.startswith("/"):
            return None, UNRESOLVED
        aliases = self.aliases(importer)
        for pattern, targets in sorted(aliases.paths, key=lambda pt: -len(pt[0].split("*")[0])):
            matched = _match(pattern, specifier)
            if matched is None:
                continue
            for target in targets:
                found = self.file(target.replace("*", matched, 1))
                if found:
                    return found, ""
            if pattern != "*":  # a catch-all alias falls back to packages, like TypeScript's
                return None, UNRESOLVED
        parts = specifier.split("/")
        name = "/".join(parts[:2]) if specifier.startswith("@") else parts[0]
        if name in self.packages:
            folder, rest = self.packages[name], specifier[len(name):].lstrip("/")
            found = self.file(join(folder, rest) if rest else folder)
            if found is None and rest:
                found = self.file(join(folder, f"src/{rest}"))
            return (found, "") if found else (None, UNRESOLVED)
        if aliases.base_url is not None:
            found = self.file(join(aliases.base_url, specifier))
            if found:
                return found, ""
        bare = specifier[5:] if specifier.startswith("node:") else specifier
        if specifier.startswith("node:") or bare.split("/")[0] in NODE_BUILTINS:
            return None, STDLIB
        return None, THIRD_PARTY


def _match(pattern: str, specifier: str) -> str | None:
    """What ``*`` stands for when ``specifier`` matches a ``paths`` pattern ("" for exact)."""
    if "*" not in pattern:
        return "" if pattern == specifier else None
    head, _, tail = pattern.partition("*")
    if specifier.startswith(head) and specifier.endswith(tail) and len(specifier) >= len(head) + len(tail):
        return specifier[len(head):len(specifier) - len(tail)]
    return None


def resolve_javascript(repo: Repo, out: Resolution) -> None:
    resolver = _Resolver(repo)
    for path, facts in sorted(repo.facts.items()):
        for ln, form, specifier, _ in facts.imports:
            if not specifier:
                continue
            found, classification = resolver.resolve(path, specifier)
            if found:
                out.edge(path, found, ln, "type_checking" if form == "type" else "static")
            else:
                out.unresolved_import(path, ln, specifier, classification)
