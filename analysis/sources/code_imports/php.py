"""PHP: ``namespace`` / ``use``, PSR-4 autoloading from ``composer.json``, and includes.

Extraction: the file's namespace, its ``use`` imports (classes, ``use function``, ``use
const``, grouped ``use A\\{B, C as D}``, aliases), the classes, interfaces, traits, enums
and functions it declares (fully qualified), ``require``/``include`` (``_once`` too) of a
string or of ``__DIR__ . "…"``, and the class names it writes (``new X``, ``X::y``, type
declarations, ``extends``/``implements`` …), as written.

Resolution:

- a ``use`` lands, at its line, on the file declaring the class (or function), else on
  the file PSR-4 maps it to (``autoload`` and ``autoload-dev`` of every ``composer.json``
  of the repository: ``"App\\\\": "src/"`` makes ``App\\Billing\\Invoice`` the file
  ``src/Billing/Invoice.php``);
- a name written in the code lands on its class's file at the first line naming it:
  ``\\A\\B`` as written, ``B\\C`` and ``B`` through the file's ``use`` aliases (already an
  edge at the use line) or else in the file's own namespace (a same-namespace reference);
  names found nowhere are not dependencies of the repository and give no row (built-in
  functions and classes are written the same way);
- an include lands on the file (relative to the importer's folder, then to the
  repository root); not found: ``unresolved``;
- a ``use`` found nowhere is ``stdlib`` when it names a global class (one segment:
  ``use Exception``), ``unresolved`` when it lies under a PSR-4 prefix or a namespace the
  repository declares, else ``third_party`` (a Composer package).
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
    folder_of,
    join,
)

_DECLARATIONS = {"class_declaration", "interface_declaration", "trait_declaration", "enum_declaration",
                 "function_definition"}
_INCLUDE_QUERY = "[(require_expression) (require_once_expression) (include_expression) (include_once_expression)] @i"
_NAMES = "(name) @n (qualified_name) @q"
_NOT_REFERENCES = {"namespace_definition", "namespace_use_declaration", "namespace_use_clause", "namespace_name",
                   "qualified_name", "variable_name", "member_access_expression", "member_call_expression",
                   "nullsafe_member_access_expression", "nullsafe_member_call_expression", "method_declaration",
                   "property_element", "const_element", "named_label_statement", "goto_statement",
                   "function_call_expression", "argument", "enum_case", "attribute"}


def _qualified(node: Node | None) -> str:
    return "".join(text(node).split()).lstrip("\\")


def extract_php(root: Node, grammar: str) -> FileFacts:
    facts = FileFacts("php")
    namespace = ""
    names: list[tuple[str, int, str]] = []

    def declared(node: Node) -> None:
        name = text(node.child_by_field_name("name"))
        facts.declarations.append(f"{namespace}\\{name}" if namespace else name)

    def visit(node: Node) -> None:
        nonlocal namespace
        for child in node.named_children:
            kind = child.type
            if kind == "namespace_definition":
                namespace = _qualified(child.child_by_field_name("name"))
                facts.namespaces.append(namespace)
                body = child.child_by_field_name("body")
                if body is not None:
                    visit(body)
            elif kind == "namespace_use_declaration":
                _use(child)
            elif kind in _DECLARATIONS:
                declared(child)
                _includes(child)
                _references(child)
            elif kind in ("compound_statement", "declaration_list"):
                visit(child)
            else:
                _includes(child)
                _references(child)

    def _use(node: Node) -> None:
        tokens = {c.type for c in node.children if not c.is_named}
        form = "use_function" if "function" in tokens else "use_const" if "const" in tokens else "use"
        group = next((c for c in node.named_children if c.type == "namespace_use_group"), None)
        prefix = _qualified(next((c for c in node.named_children if c.type == "namespace_name"), None)) if group else ""
        clauses = group.named_children if group is not None else node.named_children
        for clause in clauses:
            if clause.type != "namespace_use_clause":
                continue
            parts = [c for c in clause.named_children if c.type in ("name", "qualified_name")]
            if not parts:
                continue
            target = _qualified(parts[0])
            alias = text(parts[1]) if len(parts) > 1 else ""
            facts.imports.append([line(clause), form, f"{prefix}\\{target}" if prefix else target, alias])

    def _includes(node: Node) -> None:
        for inc in captures("php", _INCLUDE_QUERY, node).get("i", ()):
            arg = inc.named_children[0] if inc.named_children else None
            if arg is None:
                continue
            if arg.type in ("string", "encapsed_string"):
                facts.imports.append([line(inc), "include", _literal(arg), ""])
            elif arg.type == "binary_expression" and text(arg.named_children[0]) == "__DIR__" \
                    and len(arg.named_children) == 2 and arg.named_children[1].type in ("string", "encapsed_string"):
                facts.imports.append([line(inc), "include_dir", _literal(arg.named_children[1]), ""])

    def _references(node: Node) -> None:
        found = captures("php", _NAMES, node)
        for n in [*found.get("n", ()), *found.get("q", ())]:
            parent = n.parent
            if parent is None or parent.type in _NOT_REFERENCES:
                continue
            if parent.type in _DECLARATIONS and n == parent.child_by_field_name("name"):
                continue
            raw = "".join(text(n).split())
            names.append((raw, line(n), namespace))

    visit(root)
    facts.names = first_seen(names)
    facts.imports.sort(key=lambda i: (i[0], i[2]))
    return facts


def _literal(node: Node) -> str:
    parts = [text(c) for c in node.named_children if c.type == "string_content"]
    if len(parts) == len(node.named_children):
        return "".join(parts)
    return ""  # interpolated: not followed


# --------------------------------------------------------------------------------------


def psr4_prefixes(repo: Repo) -> list[tuple[str, str]]:
    """``(namespace prefix, folder)`` from every composer.json, longest prefix first."""
    prefixes = []
    for path in sorted(p for p in repo.all_files if p == "composer.json" or p.endswith("/composer.json")):
        manifest = repo.read_json(path) or {}
        for section in ("autoload", "autoload-dev"):
            mapping = (manifest.get(section) or {}).get("psr-4") or {}
            for prefix, folders in mapping.items() if isinstance(mapping, dict) else ():
                for folder in [folders] if isinstance(folders, str) else folders if isinstance(folders, list) else []:
                    target = join(folder_of(path), folder.rstrip("/")) if isinstance(folder, str) else None
                    if target is not None:
                        prefixes.append((prefix.strip("\\"), target))
    return sorted(prefixes, key=lambda pf: -len(pf[0]))


def resolve_php(repo: Repo, out: Resolution) -> None:
    declared: dict[str, list[str]] = defaultdict(list)
    namespaces: set[str] = set()
    for path, facts in sorted(repo.facts.items()):
        for name in facts.declarations:
            declared[name.lower()].append(path)  # PHP class names are case-insensitive
        for ns in facts.namespaces:
            parts = ns.split("\\")
            namespaces.update("\\".join(parts[:n]).lower() for n in range(1, len(parts) + 1))
    prefixes = psr4_prefixes(repo)
    roots = {ns.split("\\")[0] for ns in namespaces} | {p.split("\\")[0].lower() for p, _ in prefixes if p}

    def landing(name: str) -> list[str]:
        files = declared.get(name.lower())
        if files:
            return files
        for prefix, folder in prefixes:
            if not prefix or name == prefix or name.startswith(prefix + "\\"):
                rest = name[len(prefix):].lstrip("\\").replace("\\", "/")
                candidate = f"{folder}/{rest}.php" if folder else f"{rest}.php"
                if candidate in repo.all_files:
                    return [candidate]
        return []

    for path, facts in sorted(repo.facts.items()):
        aliases: dict[str, tuple[str, int]] = {}  # short name (lower case) -> target, use line
        for ln, form, target, alias in facts.imports:
            if form in ("include", "include_dir"):
                if target:
                    _include(repo, out, path, ln, form, target)
                continue
            if form == "use":
                aliases[(alias or target.split("\\")[-1]).lower()] = (target, ln)
            files = landing(target)
            for file in files:
                out.edge(path, file, ln)
            if files or (form == "use" and target.lower() in namespaces):
                continue  # a class, or a namespace used as a prefix (edges come from the names)
            head = target.split("\\")[0].lower()
            classification = STDLIB if "\\" not in target else UNRESOLVED if head in roots else THIRD_PARTY
            out.unresolved_import(path, ln, target, classification)
        for raw, ln, namespace in facts.names:
            if raw.startswith("\\"):
                full, at = raw[1:], ln
            else:
                head, _, rest = raw.partition("\\")
                if head.lower() in aliases:
                    if not rest:
                        continue  # the use's line already holds the edge
                    target, at = aliases[head.lower()]
                    full = f"{target}\\{rest}"
                else:
                    full, at = (f"{namespace}\\{raw}" if namespace else raw), ln
            for file in landing(full):
                out.edge(path, file, at)


def _include(repo: Repo, out: Resolution, path: str, ln: int, form: str, target: str) -> None:
    """``include "x"`` is tried from the importer's folder, then the root; ``__DIR__ . "/x"`` from the folder."""
    candidates = [join(folder_of(path), target.lstrip("/") if form == "include_dir" else target)]
    if form == "include":
        candidates.append(join("", target))
    found = next((c for c in candidates if c is not None and c in repo.all_files), None)
    if found is not None:
        out.edge(path, found, ln)
    else:
        out.unresolved_import(path, ln, target, UNRESOLVED)
