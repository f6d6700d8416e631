"""Go: ``go.mod`` module paths and package directories.

Extraction: the package name, every import spec (path and alias: a name, ``_`` or
``.``), the package-level names declared (functions, types, variables, constants), and
the names used: ``pkg.Name`` selectors and qualified types, and bare identifiers (for
names of the same package and of dot imports).

Resolution: every ``go.mod`` of the repository maps its ``module`` path to its folder
(nested modules included; the longest module path wins). An import path inside a module
is the package folder ``<module folder>/<rest>``; the import lands, at its line, on the
files of that folder (``_test.go`` files are never landed on) that declare the names the
file uses through the import's name (the alias, else the package name those files
declare). A blank import (``_``), or one whose names are not found, lands on the folder's
files declaring ``init``, else on all of its files. A bare name declared by another file
of the same folder (same package) lands on it at its first line. An import outside every
module is ``stdlib`` when its first element has no dot (``fmt``, ``net/http``),
``unresolved`` when it lies under one of the repository's module paths but no folder
holds its files, else ``third_party``.
"""

from __future__ import annotations

import posixpath
import re
from collections import defaultdict

from tree_sitter import Node, QueryCursor

from analysis.sources.code_imports.facts import FileFacts, captures, first_seen, line, query, text
from analysis.sources.code_imports.resolution import STDLIB, THIRD_PARTY, UNRESOLVED, Repo, Resolution, folder_of

_MODULE = re.compile(r"^\s*module\s+\"?([^\s\"/][^\s\"]*)\"?", re.M)

_NAMES = """
(selector_expression operand: (identifier) @pkg field: (field_identifier) @name)
(qualified_type package: (package_identifier) @pkg name: (type_identifier) @name)
(identifier) @bare
(type_identifier) @bare
"""


def extract_go(root: Node, grammar: str) -> FileFacts:
    facts = FileFacts("go")
    for node in root.named_children:
        if node.type == "package_clause":
            facts.namespaces = [text(node.named_children[0])] if node.named_children else []
        elif node.type == "import_declaration":
            for spec in captures("go", "(import_spec) @s", node).get("s", ()):
                path_node = spec.child_by_field_name("path")
                alias_node = spec.child_by_field_name("name")
                target = text(path_node).strip('"`')
                facts.imports.append([line(spec), "import", target, text(alias_node)])
        elif node.type == "function_declaration":
            facts.declarations.append(text(node.child_by_field_name("name")))
        elif node.type in ("type_declaration", "var_declaration", "const_declaration"):
            for spec in node.named_children:
                if spec.type in ("type_spec", "type_alias"):
                    facts.declarations.append(text(spec.child_by_field_name("name")))
                elif spec.type in ("var_spec", "const_spec"):
                    facts.declarations.extend(text(n) for n in spec.children_by_field_name("name"))
                elif spec.type == "var_spec_list":
                    for inner in spec.named_children:
                        facts.declarations.extend(text(n) for n in inner.children_by_field_name("name"))
    names: list[tuple[str, int, str]] = []
    bare_nodes: list[Node] = []
    for _, match in QueryCursor(query("go", _NAMES)).matches(root):
        if "pkg" in match:
            pkg, name = match["pkg"][0], match["name"][0]
            names.append((f"{text(pkg)}.{text(name)}", line(pkg), ""))
        else:
            bare_nodes.extend(match.get("bare", ()))
    declared_here = set(facts.declarations)
    for node in bare_nodes:
        word = text(node)
        if word not in declared_here and node.parent is not None and node.parent.type not in ("selector_expression", "qualified_type"):
            names.append((word, line(node), ""))
    facts.names = first_seen(names)
    return facts


def go_modules(repo: Repo) -> dict[str, str]:
    """Module path -> its folder ("" for the repository root), from every go.mod."""
    modules = {}
    for path in sorted(p for p in repo.all_files if p == "go.mod" or p.endswith("/go.mod")):
        match = _MODULE.search(repo.read_text(path) or "")
        if match:
            modules[match.group(1)] = folder_of(path)
    return modules


def resolve_go(repo: Repo, out: Resolution) -> None:
    modules = go_modules(repo)
    packages: dict[str, list[str]] = defaultdict(list)  # folder -> non-test files
    for path in sorted(repo.facts):
        if not path.endswith("_test.go"):
            packages[folder_of(path)].append(path)
    declares: dict[str, dict[str, list[str]]] = {}
    folder: str | None  # a package's folder; None: an import of no known package
    for folder, files in packages.items():
        index: dict[str, list[str]] = defaultdict(list)
        for file in files:
            for name in repo.facts[file].declarations:
                index[name].append(file)
        declares[folder] = index

    for path, facts in sorted(repo.facts.items()):
        used_prefixes = defaultdict(set)
        bare = []
        for name, ln, _ in facts.names:
            pkg, dot, member = name.partition(".")
            if dot:
                used_prefixes[pkg].add(member)
            else:
                bare.append((name, ln))
        dot_imports: list[tuple[str, int]] = []
        for ln, _, target, alias in facts.imports:
            folder = _package_folder(target, modules)
            if folder is None or folder not in packages:
                out.unresolved_import(path, ln, target, _classify(target, modules, folder))
                continue
            files = packages[folder]
            if alias == ".":
                dot_imports.append((folder, ln))
                continue
            local = alias or _package_name(files, repo) or posixpath.basename(target)
            members = used_prefixes.get(local, set()) if alias != "_" else set()
            landed = {f for m in members for f in declares[folder].get(m, ())}
            if not landed:
                landed = set(declares[folder].get("init", ())) or set(files)
            for file in sorted(landed):
                out.edge(path, file, ln)
        own = declares.get(folder_of(path), {})
        for name, ln in bare:
            for file in own.get(name, ()):
                out.edge(path, file, ln)
            for folder, import_line in dot_imports:
                for file in declares[folder].get(name, ()):
                    out.edge(path, file, import_line)


def _package_folder(target: str, modules: dict[str, str]) -> str | None:
    best = None
    for module, folder in modules.items():
        if target == module or target.startswith(module + "/"):
            if best is None or len(module) > len(best[0]):
                best = (module, folder)
    if best is None:
        return None
    rest = target[len(best[0]):].lstrip("/")
    return posixpath.join(best[1], rest) if best[1] and rest else (rest or best[1])


def _package_name(files: list[str], repo: Repo) -> str:
    for file in files:
        ns = repo.facts[file].namespaces
        if ns:
            return ns[0]
    return ""


def _classify(target: str, modules: dict[str, str], folder: str | None) -> str:
    if folder is not None:
        return UNRESOLVED
    if "." not in target.split("/")[0]:
        return STDLIB
    return THIRD_PARTY
