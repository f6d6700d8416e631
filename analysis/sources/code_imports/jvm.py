"""Java and Kotlin: packages, imports, wildcard imports and same-package references.

Extraction (per file): the ``package``, every ``import`` (``single``, ``wildcard``
``a.b.*``, ``static`` ``import static a.b.C.m``, Kotlin aliases ``import a.b.C as D``), the
types declared (nested ones as ``pkg.Outer.Inner``; Kotlin also top-level functions,
properties and objects), and the names the file uses (Java: capitalised identifiers;
Kotlin: every identifier, since top-level functions are lower case).

Resolution (Java and Kotlin share one index, so a Kotlin file may import a Java class):

1. ``import a.b.C`` lands on the file declaring ``a.b.C``; a static or member import on
   the file declaring its longest declared prefix (``a.b.C.m`` -> ``a.b.C``).
2. ``import a.b.*`` lands, at the import's line, on the files declaring the package's
   types the file names; a wildcard import of a repository package whose types the file
   never names is not a dependency and gives no row.
3. A name declared in the file's own package (and not imported) lands on its file, at
   the first line that names it; a type declared in several files (the same class under
   two source roots) lands on each, except from a file declaring it itself.
4. An import the repository does not declare is ``stdlib`` (``java.``, ``javax.``,
   ``jdk.``, ``sun.``, ``kotlin.``), ``unresolved`` when it lies under one of the
   repository's roots (its packages grouped by their first two segments, each group cut
   to its longest common prefix: ``com.shop.gen.Missing`` in a repository of
   ``com.shop.billing`` and ``com.shop.orders``, but not ``org.springframework.web`` in one
   of ``org.springframework.samples.petclinic.*``), else ``third_party``.

Fully qualified names written inline (``new com.shop.Invoice()``) are not followed.
"""

from __future__ import annotations

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

STDLIB_PREFIXES = ("java.", "javax.", "jdk.", "sun.", "com.sun.", "kotlin.", "kotlin")

_JAVA_TYPES = {"class_declaration", "interface_declaration", "enum_declaration", "record_declaration",
               "annotation_type_declaration"}
_JAVA_BODIES = {"class_body", "interface_body", "enum_body", "enum_body_declarations", "annotation_type_body"}


def extract_java(root: Node, grammar: str) -> FileFacts:
    facts = FileFacts("java")
    package = ""
    body: list[Node] = []
    for node in root.named_children:
        if node.type == "package_declaration":
            name = next((c for c in node.named_children if c.type in ("scoped_identifier", "identifier")), None)
            package = text(name)
            facts.namespaces = [package]
        elif node.type == "import_declaration":
            name = next((c for c in node.named_children if c.type in ("scoped_identifier", "identifier")), None)
            tokens = {c.type for c in node.children}
            form = "wildcard" if "asterisk" in tokens else "static" if "static" in tokens else "single"
            facts.imports.append([line(node), form, text(name), ""])
        else:
            body.append(node)

    def declare(node: Node, prefix: str) -> None:
        if node.type in _JAVA_TYPES:
            name = text(node.child_by_field_name("name"))
            qualified = f"{prefix}.{name}" if prefix else name
            facts.declarations.append(qualified)
            inner = node.child_by_field_name("body")
            for child in inner.named_children if inner is not None else ():
                declare(child, qualified)
        elif node.type in _JAVA_BODIES:
            for child in node.named_children:
                declare(child, prefix)

    names = []
    for node in body:
        declare(node, package)
        for nodes in captures("java", "(type_identifier) @n (identifier) @n", node).values():
            for n in nodes:
                word = text(n)
                if word[:1].isupper():
                    names.append((word, line(n), ""))
    facts.names = first_seen(names)
    return facts


_KOTLIN_TYPES = {"class_declaration", "object_declaration", "type_alias"}


def extract_kotlin(root: Node, grammar: str) -> FileFacts:
    facts = FileFacts("kotlin")
    package = ""
    body: list[Node] = []
    for node in root.named_children:
        if node.type == "package_header":
            package = "".join(text(next((c for c in node.named_children if c.type == "identifier"), None)).split())
            facts.namespaces = [package]
        elif node.type == "import_list":
            for header in node.named_children:
                if header.type == "import_header":
                    _kotlin_import(header, facts)
        elif node.type == "import_header":
            _kotlin_import(node, facts)
        else:
            body.append(node)

    def declare(node: Node, prefix: str, top: bool) -> None:
        name = None
        if node.type in _KOTLIN_TYPES:
            name = next((c for c in node.named_children if c.type in ("type_identifier", "simple_identifier")), None)
        elif top and node.type == "function_declaration":
            name = next((c for c in node.named_children if c.type == "simple_identifier"), None)
        elif top and node.type == "property_declaration":
            decl = next((c for c in node.named_children if c.type == "variable_declaration"), None)
            name = next((c for c in decl.named_children if c.type == "simple_identifier"), None) if decl else None
        if name is None:
            return
        qualified = f"{prefix}.{text(name)}" if prefix else text(name)
        facts.declarations.append(qualified)
        for child in node.named_children:
            if child.type in ("class_body", "enum_class_body"):
                for member in child.named_children:
                    declare(member, qualified, False)

    names: list[tuple[str, int, str]] = []
    for node in body:
        declare(node, package, True)
        for nodes in captures("kotlin", "(type_identifier) @n (simple_identifier) @n", node).values():
            names.extend((text(n), line(n), "") for n in nodes)
    facts.names = first_seen(names)
    return facts


def _kotlin_import(header: Node, facts: FileFacts) -> None:
    target = "".join(text(next((c for c in header.named_children if c.type == "identifier"), None)).split())
    alias_node = next((c for c in header.named_children if c.type == "import_alias"), None)
    alias = text(alias_node.named_children[-1]) if alias_node is not None and alias_node.named_children else ""
    wildcard = any(c.type == "wildcard_import" for c in header.children)
    facts.imports.append([line(header), "wildcard" if wildcard else "single", target, alias])


# --------------------------------------------------------------------------------------


def _is_stdlib(target: str) -> bool:
    return target.startswith(STDLIB_PREFIXES[:-1]) or target == "kotlin"


def resolve_jvm(repo: Repo, out: Resolution) -> None:
    declared: dict[str, list[str]] = defaultdict(list)
    packages: set[str] = set()
    for path, facts in sorted(repo.facts.items()):
        for name in facts.declarations:
            declared[name].append(path)
        packages.update(facts.namespaces)
    by_package: dict[str, dict[str, str]] = defaultdict(dict)  # package -> simple name -> qualified
    for name in declared:
        head, _, simple = name.rpartition(".")
        by_package[head][simple] = name

    roots = repository_roots(packages, group_depth=2)

    seen: dict[str, bool] = {}

    def internal(package: str) -> bool:
        known = seen.get(package)
        if known is None:
            known = seen[package] = under(package, roots)
        return known

    for path, facts in sorted(repo.facts.items()):
        package = facts.namespaces[0] if facts.namespaces else ""
        imported_names: set[str] = set()
        wildcards: list[tuple[int, dict[str, str]]] = []
        for ln, form, target, alias in facts.imports:
            if form == "wildcard":
                members = by_package.get(target)
                if members:
                    wildcards.append((ln, members))
                elif target not in declared:
                    out.unresolved_import(path, ln, target + ".*", _classify(target, internal(target)))
                if target in declared:  # import a.b.C.* : the nested types of C
                    for file in declared[target]:
                        out.edge(path, file, ln)
                continue
            landing = target  # a member import lands on its longest declared prefix
            while "." in landing and landing not in declared:
                landing = landing.rpartition(".")[0]
            if landing in declared:
                for file in declared[landing]:
                    out.edge(path, file, ln)
                imported_names.add(alias or target.rpartition(".")[2])
            else:
                package_of = target.rpartition(".")[0]
                out.unresolved_import(path, ln, target, _classify(target, internal(package_of)))
                imported_names.add(alias or target.rpartition(".")[2])
        own = by_package.get(package, {})
        for name, ln, _ in facts.names:
            if name in imported_names:
                continue
            if name in own:
                if path not in declared[own[name]]:  # not the file's own type (declared twice)
                    for file in declared[own[name]]:
                        out.edge(path, file, ln)
                continue
            for wild_line, members in wildcards:
                if name in members:
                    for file in declared[members[name]]:
                        out.edge(path, file, wild_line)
                    break


def _classify(target: str, internal: bool) -> str:
    if _is_stdlib(target):
        return STDLIB
    return UNRESOLVED if internal else THIRD_PARTY
