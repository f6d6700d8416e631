"""grimp builds the import graph; Seams tells it where the packages are and what it already read.

grimp (``grimp.build_graph``) is configured for the length of one build through its own
ports (``grimp.application.config.settings``), then restored:

- ``PACKAGE_FINDER``: the package folders Seams located — no ``sys.path`` lookup, so the
  interpreter's import path is never touched and nothing of the repository is imported;
- ``MODULE_FINDER``: the module files Seams listed (limits and left-out files applied);
- ``CACHE_CLASS``: :class:`ParseCache`, keyed by each file's content hash.

Parse cache (``cache_dir``, optional; safe to delete): ``facts.json`` maps a file's content
hash (:func:`content_hash`) to its :func:`~.statements.file_facts`; ``files.json`` maps each
file to ``[size, mtime_ns, content hash]`` so that an unchanged file is neither read nor
hashed again (files modified in the last :data:`RACY_NS` are not recorded); ``grimp-<key>.json`` maps
each module to ``[content hash, imports]`` for one set of modules (the key hashes the module
names, the graph packages and the grimp version, because how grimp resolves an import
depends on which modules exist). A re-run after one file changed parses that file only; a
file added or removed re-reads the imports (not the facts) of every file; a re-run with
nothing changed does not run grimp (its graph is assembled from the cache when asked for).

Reading: each file is listed once (its size and modification time come from the
listing), read once and hashed from the bytes read. The facts of the files not seen
before (:func:`~.statements.facts_of_files`) are read by a forked process started as
soon as the files are listed (it reads its files itself while this process reads them
and then runs grimp), and by this one too once grimp is done (:class:`BackgroundFacts`).

Configuring grimp is interpreter-wide for the length of one build: do not mine imports
from two threads at once.
"""

from __future__ import annotations

import ast
import hashlib
import mmap
import os
import pickle
import select
import signal
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import grimp
import orjson
from grimp.application.config import settings as grimp_settings
from grimp.application.ports.caching import Cache as GrimpCache
from grimp.application.ports.caching import CacheMiss
from grimp.application.ports.modulefinder import AbstractModuleFinder, FoundPackage, ModuleFile
from grimp.application.ports.packagefinder import AbstractPackageFinder
from grimp.domain.valueobjects import DirectImport, Module
from grimp.exceptions import SourceSyntaxError

from analysis.core.errors import SourceError
from analysis.core.rejects import Rejects

from .packages import SOURCE, Package, PackageFiles, package_files
from .statements import facts_of_files

CACHE_FORMAT = 2
#: A file modified this recently (ns) is hashed again next run even when its size and time match
#: (a change within the file system's time granularity would otherwise go unseen).
RACY_NS = 2_000_000_000
#: Files not seen before from which their facts are read in two processes (this one and a fork).
BACKGROUND_FACTS_MIN_FILES = 200
#: Pieces the work is cut into (the fork takes them from the front, this process from the back).
BACKGROUND_FACTS_CHUNKS = 32
#: Whether the fork starts once the files are listed (reading them itself while this process
#: reads them, then while grimp scans) or after grimp's scan.
FACTS_DURING_GRIMP = True
#: Niceness added to the fork, so that grimp's threads keep their cores and the fork takes what
#: they leave (0: the same priority).
BACKGROUND_FACTS_NICE = 10
#: Seconds the fork may still take after this process read its own share, at least; beyond
#: that (and beyond 4x this process's time) it is stopped and its share read here.
BACKGROUND_FACTS_GRACE_S = 10.0


def content_hash(data: bytes) -> str:
    """sha256 (computed by the processor's SHA extensions where it has them), first 16 bytes."""
    return hashlib.sha256(data).hexdigest()[:32]


def _read(path: str, size: int) -> bytes:
    """The bytes of ``path``, expected to be ``size`` long (more are read if it grew)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        data = os.read(fd, size + 1)
        if len(data) > size:
            parts = [data]
            while part := os.read(fd, 1 << 20):
                parts.append(part)
            data = b"".join(parts)
    finally:
        os.close(fd)
    return data


@dataclass
class ParseCache:
    """Per-file results by content hash, in memory and (when ``folder`` is set) on disk."""

    folder: Path | None
    facts: dict[str, dict] = field(default_factory=dict)
    imports: dict[str, list] = field(default_factory=dict)  # module -> [hash, [[imported, line, text, lazy]...]]
    imports_key: str = ""
    facts_changed: bool = False
    files: dict[str, list] = field(default_factory=dict)  # absolute file -> [size, mtime_ns, content hash]
    files_changed: bool = False

    @classmethod
    def open(cls, folder: Path | None) -> ParseCache:
        cache = cls(Path(folder) if folder is not None else None)
        if cache.folder is not None:
            cache.facts = _read_json(cache.folder / "facts.json")
            cache.files = _read_json(cache.folder / "files.json")
        return cache

    def known_hash(self, path: str, size: int, mtime_ns: int) -> str | None:
        """The content hash recorded for ``path`` when its size and modification time are unchanged."""
        known = self.files.get(path)
        if isinstance(known, list) and len(known) == 3 and known[0] == size and known[1] == mtime_ns:
            return known[2]
        return None

    def record_files(self, files: dict[str, list]) -> None:
        if files != self.files:
            self.files = files
            self.files_changed = True

    def use_modules(self, key: str) -> None:
        self.imports_key = key
        if self.folder is not None:
            self.imports = _read_json(self.folder / f"grimp-{key}.json")

    def save(self, imports_by_module: dict[str, list]) -> None:
        """Keep ``imports_by_module`` as the known imports (in memory, and on disk with what changed)."""
        if self.folder is not None:
            self.folder.mkdir(parents=True, exist_ok=True)
            if imports_by_module != self.imports:
                _write_json(self.folder / f"grimp-{self.imports_key}.json", imports_by_module)
            if self.facts_changed:
                _write_json(self.folder / "facts.json", self.facts)
                self.facts_changed = False
            if self.files_changed:
                _write_json(self.folder / "files.json", self.files)
                self.files_changed = False
        self.imports = imports_by_module


def _read_json(path: Path) -> dict:
    try:
        data = orjson.loads(path.read_bytes())
    except (OSError, orjson.JSONDecodeError):
        return {}
    return data if isinstance(data, dict) and data.pop("_format", None) == CACHE_FORMAT else {}


def _write_json(path: Path, data: dict) -> None:
    tmp = path.with_name(f"{path.name}.tmp{os.getpid()}")
    tmp.write_bytes(orjson.dumps({"_format": CACHE_FORMAT, **data}))
    os.replace(tmp, path)


@dataclass
class Build:
    """One build: every module's imports, files and hashes, what was left out, and grimp's graph.

    ``graph`` is grimp's :class:`~grimp.ImportGraph`, assembled (from the parse cache,
    nothing read again) the first time it is asked for: the build itself stops after grimp's
    scan (Seams needs the imports only), and when every module's imports came from the
    cache grimp is not run at all.
    """

    imports_by_module: dict[str, list]  # module -> [hash, [[imported, line, text, lazy], ...]]
    module_files: dict[str, str]  # module -> absolute file
    hashes: dict[str, str]  # module -> content hash
    sources: dict[str, bytes]  # module -> file bytes (this run)
    listed: list[PackageFiles]
    left_out: set[Path]  # absolute files left out because grimp or Python cannot read them
    pending_facts: BackgroundFacts | None = None  # facts being read by a forked process
    built: grimp.ImportGraph | None = None
    assemble: Callable[[], grimp.ImportGraph | None] | None = None  # grimp's graph on demand (built is None)

    @property
    def graph(self) -> grimp.ImportGraph | None:
        if self.built is None and self.assemble is not None:
            self.built = self.assemble()
        return self.built


class _Sources(dict):
    """Module -> file bytes; a file whose hash is known by (size, mtime) is read on first use only."""

    def __init__(self) -> None:
        super().__init__()
        self.unread: dict[str, str] = {}

    def later(self, module: str, path: str) -> None:
        self.unread[module] = path

    def __missing__(self, module: str) -> bytes:
        with open(self.unread.pop(module), "rb") as handle:
            data = handle.read()
        self[module] = data
        return data

    def __contains__(self, module: object) -> bool:
        return super().__contains__(module) or module in self.unread

    def get(self, module: str, default: bytes | None = None) -> bytes | None:  # type: ignore[override]
        return self[module] if module in self else default

    def pop(self, module: str, *default):
        self.unread.pop(module, None)
        return super().pop(module, *default)


# --------------------------------------------------------------------------------------
# grimp's ports


class _KnownPackages(AbstractPackageFinder):
    def __init__(self, directories: dict[str, str]):
        self.directories = directories

    def determine_package_directories(self, package_name, file_system):  # noqa: D102 (grimp's port)
        return {self.directories[package_name]}


class _ListedModules(AbstractModuleFinder):
    def __init__(self, found: dict[str, FoundPackage]):
        self.found = found

    def find_package(self, package_name, package_directory, file_system):  # noqa: D102 (grimp's port)
        return self.found[package_name]


class _Scanned(Exception):
    """grimp's scan is over (its cache port was written, the last step before the graph is assembled)."""


def _cache_class(cache: ParseCache, hashes: dict[str, str], captured: dict[str, list], assemble: bool = True) -> type:
    class _ContentHashCache(GrimpCache):
        @classmethod
        def setup(cls, file_system, found_packages, *, include_external_packages,
                  exclude_type_checking_imports=False, cache_dir=None):
            return cls(file_system=file_system, found_packages=found_packages,
                       include_external_packages=include_external_packages,
                       exclude_type_checking_imports=exclude_type_checking_imports, cache_dir=str(cache_dir))

        def read_imports(self, module_file: ModuleFile) -> set[DirectImport]:
            name = module_file.module.name
            entry = cache.imports.get(name)
            if entry is None or entry[0] != hashes.get(name):
                raise CacheMiss
            importer = module_file.module
            return {DirectImport(importer=importer, imported=Module(i), line_number=n, line_contents=t, is_lazy=bool(z))
                    for i, n, t, z in entry[1]}

        def write(self, imports_by_module) -> None:
            for module, direct in imports_by_module.items():
                name, h = module.name, hashes.get(module.name, "")
                entry = cache.imports.get(name)
                if entry is not None and entry[0] == h:  # read from the cache: the same imports
                    captured[name] = entry
                    continue
                captured[name] = [h, sorted([d.imported.name, d.line_number, d.line_contents, bool(d.is_lazy)] for d in direct)]
            if not assemble:
                raise _Scanned  # the imports are all Seams needs: grimp's graph is not assembled

        @classmethod
        def cache_dir_or_default(cls, cache_dir):
            return str(cache_dir)

    return _ContentHashCache


def _grimp_build(found: dict[str, FoundPackage], cache: ParseCache, hashes: dict[str, str],
                 assemble: bool = True) -> tuple[grimp.ImportGraph | None, dict]:
    """grimp's graph (None unless ``assemble``: the scan only) and every module's imports."""
    captured: dict[str, list] = {}
    ports = {"PACKAGE_FINDER": _KnownPackages({n: f.directory for n, f in found.items()}),
             "MODULE_FINDER": _ListedModules(found),
             "CACHE_CLASS": _cache_class(cache, hashes, captured, assemble)}
    saved = {k: getattr(grimp_settings, k) for k in ports}
    grimp_settings.configure(**ports)
    graph = None
    try:
        graph = grimp.build_graph(*sorted(found), include_external_packages=True, cache_dir="seams-parse-cache")
    except _Scanned:
        pass
    finally:
        grimp_settings.configure(**saved)
    return graph, captured


# --------------------------------------------------------------------------------------
# the build, with unreadable files left out


def build_import_graph(packages: Sequence[Package], repository: Path, rejects: Rejects, *,
                       cache: ParseCache | None = None, exclude_paths: Sequence[str] = (),
                       max_file_bytes: int | None = None) -> Build:
    """grimp's graph of ``packages``; files grimp or Python cannot read are rejected and left out.

    A file that is not UTF-8 (grimp reads UTF-8 only) is rejected before the build; a file
    grimp's parser refuses is rejected with its line and the graph is built again without
    it (the other files come from the parse cache, so the second build reads nothing twice).
    """
    repository = repository.resolve()
    cache = cache or ParseCache(None)
    graph_packages: dict[str, Package] = {}
    for p in packages:
        graph_packages.setdefault(p.graph_name, p)
    listed: list[PackageFiles] = []
    files: dict[str, str] = {}
    file_stats: dict[str, tuple[int, int]] = {}
    namespaces: dict[str, set[str]] = {}
    for name, p in sorted(graph_packages.items()):
        pf = package_files(p.directory, name, repository=repository, exclude_paths=exclude_paths,
                           max_file_bytes=max_file_bytes)
        listed.append(pf)
        files.update(pf.modules)
        file_stats.update(pf.stats)
        namespaces[name] = pf.namespaces
    sources = _Sources()
    hashes: dict[str, str] = {}
    # the facts are read by a fork from now on (it reads its files itself, while this
    # process reads them too, then runs grimp); grimp's graph is assembled (from the cache:
    # nothing read again) only when asked for
    pending = BackgroundFacts.start_reading(cache, files, file_stats, sources, hashes) if FACTS_DURING_GRIMP else None
    try:
        return _build(graph_packages, namespaces, listed, files, file_stats, sources, hashes, cache, rejects,
                      repository, pending)
    except BaseException:
        if pending is not None:
            pending.stop()
        raise


def _build(graph_packages: dict[str, Package], namespaces: dict[str, set[str]], listed: list[PackageFiles],
           files: dict[str, str], file_stats: dict[str, tuple[int, int]], sources: _Sources, hashes: dict[str, str],
           cache: ParseCache, rejects: Rejects, repository: Path, pending: BackgroundFacts | None) -> Build:
    left_out: set[Path] = set()
    stats: dict[str, list] = {}
    settled = time.time_ns() - RACY_NS
    for module, path in files.items():
        size, mtime_ns = file_stats[module]  # as listed a moment ago
        known = cache.known_hash(path, size, mtime_ns)
        if known is not None:
            sources.later(module, path)
            hashes[module] = known
            stats[path] = [size, mtime_ns, known]
            continue
        try:
            data = _read(path, size)
        except OSError as exc:
            rejects.add(SOURCE, f"{_rel(path, repository)}:0", f"unreadable file: {exc.strerror}")
            left_out.add(Path(path))
            continue
        try:
            if not data.isascii():  # ASCII is UTF-8 (and much faster told)
                data.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = data.count(b"\n", 0, exc.start) + 1
            rejects.add(SOURCE, f"{_rel(path, repository)}:{line}", "syntax error: not valid utf-8 (grimp reads UTF-8 only)",
                        data.splitlines()[line - 1] if data else b"")
            left_out.add(Path(path))
            continue
        sources[module] = data
        hashes[module] = content_hash(data)
        if mtime_ns < settled and len(data) == size:
            stats[path] = [size, mtime_ns, hashes[module]]
    cache.record_files(stats)
    key = hashlib.blake2b(orjson.dumps([sorted(graph_packages), sorted(hashes), grimp.__version__ if hasattr(grimp, "__version__") else ""]),
                          digest_size=12).hexdigest()
    cache.use_modules(key)

    def run_grimp(assemble: bool) -> tuple[grimp.ImportGraph | None, dict]:
        return _build_leaving_out(graph_packages, namespaces, files, sources, hashes, cache, rejects, repository,
                                  left_out, assemble)

    if hashes and all(cache.imports.get(m, ("",))[0] == h for m, h in hashes.items()):
        captured = {m: cache.imports[m] for m in hashes}  # what grimp would give: it would read nothing
    else:
        _, captured = run_grimp(False)
    if not FACTS_DURING_GRIMP:
        pending = BackgroundFacts.start(cache, sources, hashes)
    cache.save(captured)
    return Build(captured, {m: files[m] for m in hashes}, hashes, sources, listed, left_out, pending,
                 assemble=lambda: run_grimp(True)[0])


def _build_leaving_out(graph_packages: dict[str, Package], namespaces: dict[str, set[str]], files: dict[str, str],
                       sources: dict[str, bytes], hashes: dict[str, str], cache: ParseCache, rejects: Rejects,
                       repository: Path, left_out: set[Path], assemble: bool = True) -> tuple[grimp.ImportGraph | None, dict]:
    """grimp's build; each file its parser refuses is rejected, left out, and the build run again."""
    checked = False
    while True:
        found = {name: FoundPackage(
            name=name, directory=str(p.directory),
            module_files=frozenset(ModuleFile(Module(m), 0.0) for m in hashes if m == name or m.startswith(name + ".")),
            namespace_packages=frozenset(namespaces[name] - {name}))
            for name, p in graph_packages.items()}
        try:
            return _grimp_build(found, cache, hashes, assemble)
        except SourceSyntaxError as error:
            culprit = _culprit(error, files, repository)
            if culprit is None:
                raise SourceError(SOURCE, f"grimp could not read the packages: {error}") from None
            bad = [culprit] if checked else [culprit] + _unparsable(files, hashes, cache, culprit)
            checked = True
            for module, line, reason in bad:
                rejects.add(SOURCE, f"{_rel(files[module], repository)}:{line}", reason,
                            _line_text(sources.get(module, b""), line))
                left_out.add(Path(files[module]))
                hashes.pop(module, None)
                sources.pop(module, None)


def _culprit(error: SourceSyntaxError, files: dict[str, str], repository: Path) -> tuple[str, int, str] | None:
    named = getattr(error, "filename", None)
    if not named:
        return None
    path = os.path.realpath(named)
    module = next((m for m, p in files.items() if os.path.realpath(p) == path), None)
    if module is None:
        return None
    problem = unreadable_module(Path(files[module]))
    if problem is not None:
        return module, *problem
    return module, int(getattr(error, "lineno", 0) or 0), "syntax error: rejected by grimp's parser"


def _unparsable(files: dict[str, str], hashes: dict[str, str], cache: ParseCache,
                culprit: tuple[str, int, str]) -> list[tuple[str, int, str]]:
    """Every other file Python cannot parse (files whose imports are cached are known good)."""
    bad = []
    for module in sorted(hashes):
        if module == culprit[0] or (module in cache.imports and cache.imports[module][0] == hashes[module]):
            continue
        problem = unreadable_module(Path(files[module]))
        if problem is not None:
            bad.append((module, *problem))
    return bad


def unreadable_module(path: Path) -> tuple[int, str] | None:
    """``(line, reason)`` when Python cannot parse the file, else None."""
    try:
        ast.parse(path.read_bytes(), filename=str(path))
    except SyntaxError as exc:
        return exc.lineno or 0, f"syntax error: {exc.msg}"
    except ValueError as exc:  # null bytes
        return 0, f"syntax error: {exc}"
    return None


def _line_text(data: bytes, line: int) -> bytes:
    lines = data.splitlines()
    return lines[line - 1] if 0 < line <= len(lines) else b""


def _rel(path: str, repository: Path) -> str:
    try:
        return Path(os.path.abspath(path)).relative_to(repository).as_posix()
    except ValueError:
        return str(path)


def file_facts_cached(cache: ParseCache, sources: dict[str, bytes], hashes: dict[str, str],
                      pending: BackgroundFacts | None = None) -> dict[str, dict]:
    """The facts of each module's file, computed for content not seen before only
    (``pending``: the facts a :class:`BackgroundFacts` was reading, collected first)."""
    if pending is not None:
        fresh = pending.collect()
        if fresh:
            cache.facts.update(fresh)
            cache.facts_changed = True
    todo = {h: module for module, h in hashes.items() if h not in cache.facts}
    if todo:
        cache.facts.update(zip(todo, facts_of_files([sources[module] for module in todo.values()])))
        cache.facts_changed = True
    return {module: cache.facts[h] for module, h in hashes.items()}


class BackgroundFacts:
    """The facts of many unseen files, read by one forked process while this one runs grimp,
    then by both.

    The work is cut into :data:`BACKGROUND_FACTS_CHUNKS` pieces (every n-th file, so that
    they weigh alike). The fork takes pieces from the front, this process (in
    :meth:`collect`) from the back; each marks a piece as taken in a shared byte before
    reading it and stops at the first piece the other took (when both take the same piece
    at the same moment, it is read twice, with the same result). The fork writes its facts
    to a pipe once it stops; a piece it did not deliver (it died) is read here. Results
    are the same as reading every file here (:func:`~.statements.file_facts` is pure).
    The files' bytes are not sent to the other process: it finds them in its copy of
    this one (:meth:`start`) or reads them itself (:meth:`start_reading`: it starts before
    this process has read them); only facts come back.
    """

    def __init__(self, chunks: list[list[tuple]], reading: tuple | None = None):
        self.chunks = chunks
        self.reading = reading  # (cache, sources, hashes) when the pieces are (module, path, size)
        self.taken = mmap.mmap(-1, max(len(chunks), 1))  # shared with the fork: 1 = a process took the piece
        read_end, write_end = os.pipe()
        self.pid = os.fork()
        if self.pid == 0:  # the fork: read pieces from the front, send the facts, exit without cleanup
            code = 1
            try:
                os.close(read_end)
                try:
                    os.nice(BACKGROUND_FACTS_NICE)
                except OSError:
                    pass  # the same priority then
                _send(write_end, self._take(range(len(chunks)), forked=True))
                code = 0
            finally:
                os._exit(code)
        os.close(write_end)
        self.pipe: int | None = read_end

    def _take(self, order: Iterable[int], forked: bool = False) -> dict[int, dict[str, dict]]:
        """Read the pieces in ``order`` up to the first one the other process took."""
        out = {}
        for i in order:
            if self.taken[i]:
                break
            self.taken[i] = 1
            out[i] = self._piece(i, forked)
        return out

    def _piece(self, i: int, forked: bool) -> dict[str, dict]:
        """The facts of piece ``i`` by content hash."""
        if self.reading is None:
            return _facts_of(self.chunks[i])
        cache, sources, hashes = self.reading
        work: dict[str, bytes] = {}
        for module, path, size in self.chunks[i]:
            if forked:  # read here, as this process's parent does (a file it cannot read has no facts)
                try:
                    data = _read(path, size)
                except OSError:
                    continue
                h = content_hash(data)
            else:  # read by this process already
                h = hashes.get(module)
                if h is None:
                    continue  # left out
                data = None
            if h not in cache.facts and h not in work:
                work[h] = data if data is not None else sources[module]
        return dict(zip(work, facts_of_files(list(work.values()))))

    @classmethod
    def start_reading(cls, cache: ParseCache, files: dict[str, str], file_stats: dict[str, tuple[int, int]],
                      sources: dict[str, bytes], hashes: dict[str, str],
                      min_files: int = BACKGROUND_FACTS_MIN_FILES) -> BackgroundFacts | None:
        """Start before the files are read (``sources`` and ``hashes``: where this process
        puts them): the fork reads its pieces itself. Starts when at least ``min_files``
        files are not known (by size and modification time) to have facts in the cache,
        and ``fork`` exists; else None."""
        work = []
        for module, path in files.items():
            known = cache.known_hash(path, *file_stats[module])
            if known is None or known not in cache.facts:
                work.append((module, path, file_stats[module][0]))
        if len(work) < max(min_files, 1) or not hasattr(os, "fork"):
            return None
        chunks = [work[i::BACKGROUND_FACTS_CHUNKS] for i in range(BACKGROUND_FACTS_CHUNKS)]
        return cls([c for c in chunks if c], (cache, sources, hashes))

    @classmethod
    def start(cls, cache: ParseCache, sources: dict[str, bytes], hashes: dict[str, str],
              min_files: int = BACKGROUND_FACTS_MIN_FILES) -> BackgroundFacts | None:
        """Start when at least ``min_files`` distinct contents are unseen (and ``fork`` exists), else None."""
        todo = sorted({h: m for m, h in hashes.items() if h not in cache.facts}.items())
        if len(todo) < max(min_files, 1) or not hasattr(os, "fork"):
            return None
        work = [(h, sources[m]) for h, m in todo]
        chunks = [work[i::BACKGROUND_FACTS_CHUNKS] for i in range(BACKGROUND_FACTS_CHUNKS)]
        return cls([c for c in chunks if c])

    def stop(self) -> None:
        """Give the work up (the build failed)."""
        if self.pipe is not None:
            os.close(self.pipe)
            self.pipe = None
            try:
                os.kill(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            os.waitpid(self.pid, 0)
            self.taken.close()

    def collect(self) -> dict[str, dict]:
        """Every piece's facts by content hash (the pieces the fork did not take are read here)."""
        try:
            started = time.monotonic()
            mine = self._take(reversed(range(len(self.chunks))))
            assert self.pipe is not None  # collected once, before any stop()
            theirs = _receive(self.pipe, max(BACKGROUND_FACTS_GRACE_S, 4 * (time.monotonic() - started)))
        finally:
            self.stop()
        out: dict[str, dict] = {}
        for i in range(len(self.chunks)):
            facts = mine.get(i) or theirs.get(i)
            out.update(facts if facts is not None else self._piece(i, False))  # not delivered: read here
        if self.reading is not None:  # a file changed between the fork's read and this one's: this one's text counts
            cache, sources, hashes = self.reading
            known = set(hashes.values())
            out = {h: f for h, f in out.items() if h in known}
            missing: dict[str, bytes] = {}
            for chunk in self.chunks:
                for module, _, _ in chunk:
                    h = hashes.get(module)
                    if h is not None and h not in out and h not in cache.facts and h not in missing:
                        missing[h] = sources[module]
            out.update(zip(missing, facts_of_files(list(missing.values()))))
        return out


def _send(fd: int, facts: dict) -> None:
    data = memoryview(pickle.dumps(facts, protocol=pickle.HIGHEST_PROTOCOL))
    while data:
        data = data[os.write(fd, data):]
    os.close(fd)


def _receive(fd: int, timeout_s: float) -> dict:
    """What the fork sent, or nothing when it died before sending all of it or is still
    silent ``timeout_s`` seconds from now (a fork that hangs must not hang the run)."""
    parts = []
    deadline = time.monotonic() + timeout_s
    while True:
        ready, _, _ = select.select([fd], [], [], max(deadline - time.monotonic(), 0))
        if not ready:
            return {}
        part = os.read(fd, 1 << 20)
        if not part:
            break
        parts.append(part)
    try:
        received = pickle.loads(b"".join(parts))
    except (pickle.UnpicklingError, EOFError, ValueError):
        return {}
    return received if isinstance(received, dict) else {}


def _facts_of(chunk: list[tuple[str, bytes]]) -> dict[str, dict]:
    return dict(zip((h for h, _ in chunk), facts_of_files([data for _, data in chunk])))
