"""C#: ``using`` directives and namespaces.

Extraction: the namespaces a file declares (block and file-scoped), the types declared in
them (class, struct, interface, enum, record, delegate; nested ones as ``Outer.Inner``),
every ``using`` (``using`` a namespace, ``using static`` a type, ``using A = B.C`` an
alias; ``global using`` alike), and the capitalised names and dotted names the file uses.

Resolution, in C#'s order: a name is looked up in the file's namespaces from the
innermost out (``Shop.Billing``, then ``Shop``) — a dependency without a using, at the
first line naming it — then through the aliases and ``using`` namespaces, at the using's
line. A dotted name (``Common.Rates.Vat``) is looked up whole, then by its longest
declared head (``Common.Rates``). A ``using static`` or alias of a declared type lands on
the type's file. Partial types declared in several files land on each of them (but a
file naming its own partial type gives no row). A ``using`` of a namespace the
repository does not declare is ``stdlib`` (``System``, ``Microsoft.CSharp``,
``Microsoft.VisualBasic``, ``Microsoft.Win32``), ``unresolved`` when it lies under one of the
repository's roots (its namespaces grouped by their first two segments, each group cut
to its longest common prefix: ``Microsoft.eShopWeb``, so ``Microsoft.AspNetCore`` is not
the repository's), else ``third_party``. A
``using`` of a repository namespace whose types the file never names gives no row.
"""

from __future__ import annotations

import re
from collections import defaultdict

from tree_sitter import Node

from analysis.sources.code_imports.facts import FileFacts, captures, first_seen, line, text
from analysis.sources.code_imports.resolution import (
    STDLIB,
    THIRD_PARTY,
    UNRESOLVED,
    Repo,
    Resolution,
    repository_roots,
    under,
)

_TYPES = {"class_declaration", "struct_declaration", "interface_declaration", "enum_declaration",
          "record_declaration", "record_struct_declaration", "delegate_declaration"}
_DOTTED = re.compile(r"[A-Za-z_][A-Za-z_0-9]*(?:\.[A-Za-z_][A-Za-z_0-9]*)+\Z")
_NAMESPACES = {"namespace_declaration", "file_scoped_namespace_declaration"}


def _dotted(node: Node | None) -> str:
    return "".join(text(node).split())


def extract_csharp(root: Node, grammar: str) -> FileFacts:
    facts = FileFacts("csharp")
    names: list[tuple[str, int, str]] = []

    def using(node: Node) -> None:
        tokens = [c.type for c in node.children]
        named = [c for c in node.named_children if c.type in ("identifier", "qualified_name", "generic_name", "alias_qualified_name")]
        if "=" in tokens and len(named) >= 2:
            facts.imports.append([line(node), "alias", _dotted(named[-1]), text(named[0])])
        elif named:
            facts.imports.append([line(node), "static" if "static" in tokens else "using", _dotted(named[-1]), ""])

    def visit(node: Node, namespace: str, type_prefix: str) -> None:
        for child in node.named_children:
            kind = child.type
            if kind == "using_directive":
                using(child)
            elif kind in _NAMESPACES:
                name = _dotted(child.child_by_field_name("name"))
                full = f"{namespace}.{name}" if namespace else name
                facts.namespaces.append(full)
                if kind == "file_scoped_namespace_declaration":
                    namespace = full  # applies to the rest of the file
                    visit(child, full, "")
                else:
                    visit(child, full, "")
            elif kind == "declaration_list":
                visit(child, namespace, type_prefix)
            elif kind in _TYPES:
                name = text(child.child_by_field_name("name"))
                qualified = f"{type_prefix}.{name}" if type_prefix else (f"{namespace}.{name}" if namespace else name)
                facts.declarations.append(qualified)
                body = child.child_by_field_name("body")
                if body is not None:
                    visit(body, namespace, qualified)
                _names(child)
            elif kind not in ("qualified_name", "identifier"):
                _names(child)

    def _names(node: Node) -> None:
        found = captures("csharp", "(identifier) @n (qualified_name) @q (member_access_expression) @q", node)
        for n in found.get("n", ()):
            word = text(n)
            if word[:1].isupper() and n.parent is not None and n.parent.type != "qualified_name":
                names.append((word, line(n), ""))
        for q in found.get("q", ()):
            dotted = _dotted(q)
            if q.parent is not None and q.parent.type != q.type and _DOTTED.match(dotted) and dotted[:1].isupper():
                names.append((dotted, line(q), ""))

    visit(root, "", "")
    facts.names = first_seen(names)
    return facts


def resolve_csharp(repo: Repo, out: Resolution) -> None:
    declared: dict[str, list[str]] = defaultdict(list)
    namespaces: set[str] = set()
    for path, facts in sorted(repo.facts.items()):
        for name in facts.declarations:
            declared[name].append(path)
        for ns in facts.namespaces:
            parts = ns.split(".")
            namespaces.update(".".join(parts[:n]) for n in range(1, len(parts) + 1))
    roots = repository_roots({ns for f in repo.facts.values() for ns in f.namespaces}, group_depth=2)

    for path, facts in sorted(repo.facts.items()):
        enclosing: list[str] = []
        for ns in facts.namespaces:
            parts = ns.split(".")
            enclosing.extend(".".join(parts[:n]) for n in range(len(parts), 0, -1))
        enclosing.append("")
        aliases: dict[str, tuple[str, int]] = {}
        usings: list[tuple[str, int]] = []
        for ln, form, target, alias in facts.imports:
            if form in ("alias", "static") and target in declared:
                for file in declared[target]:
                    out.edge(path, file, ln)
                if alias:
                    aliases[alias] = (target, ln)
                continue
            if form == "alias" and target in namespaces:
                aliases[alias] = (target, ln)
                continue
            if form == "using" and target in namespaces:
                usings.append((target, ln))
                continue
            out.unresolved_import(path, ln, target, _classify(target, roots))

        for name, ln, _ in facts.names:
            head, _, rest = name.partition(".")
            if head in aliases:
                target, alias_line = aliases[head]
                full = f"{target}.{rest}" if rest else target
                for file in declared.get(full, ()):
                    out.edge(path, file, alias_line)
                continue
            parts = name.split(".")
            for cut in range(len(parts), 0, -1):  # A.B.C may be a type, or members of type A.B
                prefix = ".".join(parts[:cut])
                hit = next((f"{ns}.{prefix}" if ns else prefix for ns in enclosing
                            if (f"{ns}.{prefix}" if ns else prefix) in declared), None)
                at = ln
                if hit is None:
                    hit, at = next(((f"{ns}.{prefix}", using_line) for ns, using_line in usings
                                    if f"{ns}.{prefix}" in declared), (None, ln))
                if hit is not None:
                    if path not in declared[hit]:  # not the file's own (partial) type
                        for file in declared[hit]:
                            out.edge(path, file, at)
                    break


STDLIB_NAMESPACES = ("System", "Microsoft.CSharp", "Microsoft.VisualBasic", "Microsoft.Win32")


def _classify(target: str, roots: set[str]) -> str:
    if under(target, set(STDLIB_NAMESPACES)):
        return STDLIB
    return UNRESOLVED if under(target, roots) else THIRD_PARTY
