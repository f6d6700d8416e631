"""Ruby: ``require``, ``require_relative``, and constants autoloaded by naming convention.

Extraction: every ``require``, ``require_relative`` and ``load`` of a plain string literal
(interpolated strings are not followed), the constants the file defines (``class``,
``module``, constant assignment) with their full names from the module nesting
(``module Billing; class Invoice`` -> ``Billing::Invoice``), and the first line of every
constant path the file refers to, with the nesting it is written in.

Resolution:

- ``require_relative "x"``: the file ``x`` or ``x.rb`` next to the importer; not found:
  ``unresolved``.
- ``require "x"``: ``x.rb`` under a ``lib/`` folder of the repository (a gem or engine
  inside a monorepo included), else at the repository root; not found: ``stdlib`` when
  ``x``'s first segment is a library shipped with Ruby (:data:`RUBY_STDLIB`),
  ``unresolved`` when it is the name of a folder or file under a ``lib/`` of the
  repository, else ``third_party`` (a gem).
- Constants (Rails/Zeitwerk autoloading): a file under an autoload root — each folder
  of an ``app/`` folder (``app/models``, ``app/services`` …, and their ``concerns``), and
  ``lib/`` — is expected to define the constant named by its path
  (``app/models/billing/invoice.rb`` -> ``Billing::Invoice``; each segment camelized,
  acronym inflections not known). A reference ``X`` written inside ``module A; class B``
  is looked up as ``A::B::X``, ``A::X``, ``X``, in that order, among the conventional names
  and the constants defined in the repository; the dependency lands on the conventional
  file, else on the first file (in path order) defining the constant, at the first line
  naming it. A reference found nowhere is ``stdlib`` when its first segment is a core or
  standard-library constant (:data:`RUBY_CONSTANTS`), else ``third_party`` (a gem's:
  ``ActiveRecord::Base``), one row per file and constant; a path whose leading part is the
  repository's (``Billing::Missing``) lands on that part's file instead.
"""

from __future__ import annotations

import posixpath
import re
from collections import defaultdict

from tree_sitter import Node, QueryCursor

from analysis.sources.code_imports.facts import FileFacts, captures, first_seen, line, query, text
from analysis.sources.code_imports.resolution import (
    STDLIB,
    THIRD_PARTY,
    UNRESOLVED,
    Repo,
    Resolution,
    folder_of,
    join,
)

RUBY_STDLIB = frozenset("""
abbrev base64 benchmark bigdecimal cgi coverage csv date debug delegate did_you_mean digest drb english
erb etc expect fcntl fiber fiddle fileutils find forwardable getoptlong io ipaddr irb json logger matrix
minitest monitor mutex_m net nkf objspace observer open3 open-uri openssl optparse ostruct pathname pp
prettyprint prime pstore psych racc rake rbconfig rdoc readline reline resolv rinda ripper securerandom
set shellwords singleton socket stringio strscan syslog tempfile test time timeout tmpdir tracer tsort
un uri weakref webrick win32ole yaml zlib English
""".split())

RUBY_CONSTANTS = frozenset("""
ARGF ARGV ArgumentError Array BasicObject Benchmark BigDecimal Binding CSV Class Comparable Complex
Data Date DateTime Digest Dir ENV ERB EOFError Encoding Enumerable Enumerator Errno Exception FalseClass
Fiber File FileTest FileUtils Float FloatDomainError FrozenError GC Hash IO IOError IPAddr IndexError
Integer Interrupt JSON Kernel KeyError LoadError Logger Marshal MatchData Math Method Module Monitor
Mutex NameError Net NilClass NoMatchingPatternError NoMethodError NotImplementedError Numeric Object
ObjectSpace OpenSSL OpenStruct OptionParser Pathname Proc Process Queue Random Range RangeError Rational
Regexp RegexpError RuntimeError STDERR STDIN STDOUT ScriptError SecureRandom SecurityError Set
Shellwords Signal SignalException Singleton Socket StandardError StopIteration String StringIO Struct
Symbol SyntaxError SystemCallError SystemExit Tempfile Thread ThreadError Time Timeout TracePoint
TrueClass TypeError URI UnboundMethod YAML ZeroDivisionError Zlib Forwardable Base64 Ractor RUBY_VERSION
""".split())

_DEFINITIONS = """
(class name: (_) @name) @def
(module name: (_) @name) @def
(assignment left: (constant) @name) @def
(operator_assignment left: (constant) @name) @def
"""
_REFERENCES = "(constant) @ref (scope_resolution) @ref"
_REQUIRES = "(call method: (identifier) @method arguments: (argument_list . (string) @arg))"
_SCOPES = {"class", "module"}


def _path(node: Node | None) -> str:
    return "".join(text(node).split())


def _nesting(node: Node) -> str:
    """The module nesting a node is written in, innermost last, joined by ``/``."""
    parts = []
    child, parent = node, node.parent
    while parent is not None:
        if parent.type in _SCOPES and child != parent.child_by_field_name("name") and child.type != "superclass":
            parts.append(_path(parent.child_by_field_name("name")))
        child, parent = parent, parent.parent
    return "/".join(reversed(parts))


def _full_name(scope: str, name: str) -> str:
    if name.startswith("::"):
        return name[2:]
    return "::".join([*(p.lstrip(":") for p in scope.split("/") if p), name]) if scope else name


def extract_ruby(root: Node, grammar: str) -> FileFacts:
    facts = FileFacts("ruby")
    for _, match in QueryCursor(query("ruby", _REQUIRES)).matches(root):
        method, arg = text(match["method"][0]), match["arg"][0]
        if method not in ("require", "require_relative", "load"):
            continue
        if [c.type for c in arg.named_children] != ["string_content"]:
            continue  # interpolated or empty
        facts.imports.append([line(arg), "require_relative" if method == "require_relative" else "require",
                              text(arg.named_children[0]), ""])
    definitions = []
    for name_node in captures("ruby", _DEFINITIONS, root).get("name", ()):
        assert name_node.parent is not None  # a captured name sits in its definition
        definitions.append(_full_name(_nesting(name_node.parent), _path(name_node)))
    facts.declarations = sorted(set(definitions))
    refs = []
    for node in captures("ruby", _REFERENCES, root).get("ref", ()):
        parent = node.parent
        if parent is not None and parent.type == "scope_resolution":
            continue  # part of a longer path
        if parent is not None and (parent.type in _SCOPES or parent.type in ("assignment", "operator_assignment")) \
                and node == parent.child_by_field_name("name" if parent.type in _SCOPES else "left"):
            continue  # a definition, not a reference
        refs.append((_path(node), line(node), _nesting(node)))
    facts.names = first_seen(refs)
    return facts


# --------------------------------------------------------------------------------------

_SEGMENT = re.compile(r"(?:^|_)([a-z\d]*)")


def camelize(segment: str) -> str:
    """``user_profile`` -> ``UserProfile`` (Zeitwerk's default inflection, no acronyms)."""
    return _SEGMENT.sub(lambda m: m.group(1).capitalize(), segment)


def autoload_root(path: str) -> str | None:
    """The autoload root a file lies under (``app/models``, ``app/models/concerns``, ``lib``), or None."""
    parts = path.split("/")
    for n, part in enumerate(parts[:-1]):
        if part == "app" and n + 2 < len(parts):
            if n + 3 < len(parts) and parts[n + 2] == "concerns":
                return "/".join(parts[:n + 3])
            return "/".join(parts[:n + 2])
        if part == "lib":
            return "/".join(parts[:n + 1])
    return None


def conventional_constant(path: str) -> str | None:
    root = autoload_root(path)
    if root is None or not path.endswith(".rb"):
        return None
    relative = path[len(root) + 1:-3]
    return "::".join(camelize(seg) for seg in relative.split("/"))


def resolve_ruby(repo: Repo, out: Resolution) -> None:
    conventional: dict[str, str] = {}
    defined: dict[str, list[str]] = defaultdict(list)
    in_lib: dict[str, str] = {}  # path under a lib/ folder, without .rb -> file
    from_root: dict[str, str] = {}
    lib_names: set[str] = set()
    for path, facts in sorted(repo.facts.items()):
        name = conventional_constant(path)
        if name is not None:
            conventional.setdefault(name, path)
        for constant in facts.declarations:
            defined[constant].append(path)
        if not path.endswith(".rb"):
            continue
        from_root.setdefault(path[:-3], path)
        parts = path[:-3].split("/")
        if "lib" in parts[:-1]:
            below = parts[parts.index("lib") + 1:]
            in_lib.setdefault("/".join(below), path)
            lib_names.add(below[0])

    def landing(constant: str) -> str | None:
        if constant in conventional:
            return conventional[constant]
        files = defined.get(constant)
        return files[0] if files else None

    def lookup(name: str, nesting: list[str]) -> str | None:
        for n in range(len(nesting), -1, -1):
            found = landing("::".join([*nesting[:n], name]))
            if found:
                return found
        return None

    for path, facts in sorted(repo.facts.items()):
        for ln, form, target, _ in facts.imports:
            stem = posixpath.normpath(target[:-3] if target.endswith(".rb") else target)
            if form == "require_relative":
                joined = join(folder_of(path), stem)
                found = None
                if joined is not None:
                    found = f"{joined}.rb" if f"{joined}.rb" in repo.all_files else joined if joined in repo.all_files else None
                if found:
                    out.edge(path, found, ln)
                else:
                    out.unresolved_import(path, ln, target, UNRESOLVED)
                continue
            found = in_lib.get(stem) or from_root.get(stem)
            if found:
                out.edge(path, found, ln)
            else:
                head = stem.split("/")[0]
                out.unresolved_import(path, ln, target, STDLIB if head in RUBY_STDLIB
                                      else UNRESOLVED if head in lib_names else THIRD_PARTY)
        for reference, ln, scope in facts.names:
            name = reference.lstrip(":")
            nesting = [] if reference.startswith("::") else [p.lstrip(":") for p in scope.split("/") if p]
            parts = name.split("::")
            target = None
            for cut in range(len(parts), 0, -1):  # the whole path, else its longest known head
                target = lookup("::".join(parts[:cut]), nesting)
                if target:
                    break
            if target:
                out.edge(path, target, ln)
            else:
                out.unresolved_import(path, ln, name, STDLIB if parts[0] in RUBY_CONSTANTS else THIRD_PARTY)
