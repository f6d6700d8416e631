"""The text of the ``seams.yml`` ``seams init`` proposes, and the summary it prints.

Strings are written as JSON strings (valid YAML flow scalars, so no path or name can break the
file); every choice is preceded by a comment giving its evidence. The file loads with
:func:`analysis.core.config.load_config` as it is.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from analysis.discovery.propose import Proposal, propose


def _q(text: str) -> str:
    return json.dumps(str(text), ensure_ascii=False)


def _flow(items) -> str:
    return "[" + ", ".join(_q(i) for i in items) + "]"


def _comment(text: str) -> str:
    return "# " + " ".join(str(text).split())


def relative(path: Path, folder: Path) -> str:
    """``path`` relative to the config's folder (posix), absolute when on another drive."""
    try:
        return Path(os.path.relpath(Path(path).resolve(), Path(folder).resolve())).as_posix()
    except ValueError:
        return Path(path).resolve().as_posix()


def config_text(p: Proposal, config_dir: Path) -> str:
    repo = relative(p.repository, config_dir)
    name = Path(p.repository).resolve().name or "monolith"
    out = [
        f"# Seams configuration proposed by `seams init` for {name}: review the contexts, then run",
        "#   seams report --config <this file>",
        "# Every path is relative to this file; see analysis/core/config.py for every key.",
        f"# Conventions found: {', '.join(p.conventions) or 'none'}.",
        f"name: {_q(name)}",
        "",
        "sources:",
        "  git:",
        f"    repository: {_q(repo)}",
    ]
    if p.ignores:
        out.append("    # Left out of the history, each for its reason (files matched at HEAD or in the history):")
        out.append("    ignore_paths:")
        for pattern, reason, _, n in p.ignores:
            out.append(f"      - {_q(pattern)}  {_comment(f'{reason} ({n} files)')}")
    out += ["  imports:", f"    repository: {_q(repo)}"]
    if p.main_package and "/" not in p.main_package:
        out.append(f"    packages: [{_q(p.main_package)}]")
    code = [pattern for pattern, _, for_code, _ in p.ignores if for_code]
    if code:
        out.append(f"    exclude_paths: {_flow(code)}  # vendored, generated and fixture code is not the team's")
    for kind in ("sql", "traces"):
        if not p.sources[kind]:
            continue
        out.append(f"  {kind}:")
        for s in p.sources[kind]:
            out.append(f"    - path: {_q(relative(Path(s['path']), config_dir))}")
            out.append(f"      format: {_q(s['format'])}" + ("  # " + " ".join(str(s["error"]).split()) if s.get("error") else "  # detected"))
            if s.get("log_line_prefix"):
                out.append(f"      log_line_prefix: {_q(s['log_line_prefix'])}  # inferred from the first lines")
    out += ["", "# The bounded contexts proposed from the repository's conventions; each says where it comes from.",
            "# Tables come from the ORM models, span routes from the URL configuration; code namespaces follow from the paths."]
    for layer in p.layers:
        out.append(_comment(f"Layer: {layer.folder}/ holds one folder per context ({len(layer.folded)}); they are folded into their "
                            "contexts below (a context owns its API). The alternative is the layer as one context: "
                            f"paths [\"{layer.folder}/**\"], role: layer, with the folded globs removed."))
    out.append("contexts:")
    for c in p.candidates:
        out.append(f"  {_comment(f'{c.convention}: {c.evidence}')}")
        for note in c.notes:
            out.append(f"  {_comment(note)}")
        if c.name in p.owners:
            out.append(f"  {_comment('owners (' + (p.codeowners_file or 'CODEOWNERS') + '): ' + ' '.join(p.owners[c.name]))}")
        out.append(f"  {_q(c.name)}:")
        out.append(f"    paths: {_flow(c.paths)}")
        tables = p.tables.get(c.name)
        if tables:
            out.append(f"    tables: {_flow(tables)}")
        routes = p.routes.get(c.name)
        if routes:
            out.append("    spans:")
            out.append(f"      routes: {_flow(routes)}")
        if c.role != "domain":
            out.append(f"    role: {c.role}")
    teams = sorted({o for owners in p.owners.values() for o in owners})
    out.append("")
    if teams:
        out.append(_comment(f"Teams: {p.codeowners_file} names these owners; Seams needs the commit e-mails (or names) of each team's "
                            "members. Fill them in and uncomment:"))
        out.append("# teams:")
        for t in teams:
            out.append(f"#   {_q(t.lstrip('@'))}: []")
    else:
        out.append("# Teams: no CODEOWNERS file; add teams: {team: [member e-mails]} for the team figures.")
    out += ["", "# Thresholds and weights: the defaults apply (docs/verdicts.md says each one and why).", "thresholds: {}", ""]
    return "\n".join(out)


def summary(p: Proposal) -> str:
    """What ``seams init`` prints: the contexts, the coverage and the top unassigned prefixes."""
    c = p.coverage
    lines = [f"{len(p.candidates)} contexts proposed ({', '.join(p.conventions) or 'no convention found'})"]
    for layer in p.layers:
        lines.append(f"layer {layer.folder}/ folded into {len(layer.folded)} contexts")
    for o in p.old_names:
        lines.append(f"old name {o.old}/ -> {o.context} ({o.files} files renamed, {o.commit[:10]} {o.date})")
    shared = [x.name for x in p.candidates if x.role == "shared"]
    if shared:
        lines.append(f"role shared: {', '.join(shared)}")
    if c is not None:
        head = "–" if c.head_share is None else f"{c.head_share:.0%}"
        hist = "–" if c.history_share is None else f"{c.history_share:.0%}"
        lines.append(f"coverage: {head} of {c.files} source files at HEAD, {hist} of {c.changes} historical changes to source files "
                     "(ignored paths, documentation and assets left out)")
        if len(c.per_context):
            lines.append("per context (files at HEAD, historical changes):")
            lines += [f"  {r.context:<30} {r.files:>7} {r.changes:>9}" for r in c.per_context.itertuples()]
        for title, frame in (("files at HEAD", c.unassigned_head), ("historical changes", c.unassigned_history)):
            if len(frame):
                lines.append(f"top unassigned prefixes, {title}:")
                lines += [f"  {r.prefix:<40} {r.paths:>7}  {r.share:.1%}" for r in frame.itertuples()]
    if p.history_error:
        lines.append(f"history not read: {p.history_error}")
    return "\n".join(lines)


def write_proposal(repository: Path, out: Path, *, sql: tuple[Path, ...] = (), traces: tuple[Path, ...] = (),
                   force: bool = False) -> str:
    """Propose, check that the text loads with Seams' own config reader, write it to ``out``
    (refusing to replace a file unless ``force``) and return the summary to print."""
    from analysis.core.config import parse_config, read_yaml
    from analysis.core.errors import OutputError

    out = Path(out)
    if out.is_dir():
        raise OutputError(str(out), "is a folder: --out names the file to write")
    if out.exists() and not force:
        raise OutputError(str(out), "already exists (--force replaces it)")
    if Path(repository).resolve() in out.resolve().parents:
        raise OutputError(str(out), "lies inside the analysed repository, which Seams never writes to: write it elsewhere")
    proposal = propose(repository, sql=sql, traces=traces)
    text = config_text(proposal, out.resolve().parent)
    raw, problems = read_yaml(text, str(out))
    if problems:
        raise OutputError(str(out), f"the proposed configuration does not read back: {problems[0]}")
    parse_config(raw, out)  # raises ConfigError listing every problem
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise OutputError(str(out), f"cannot write it ({exc.strerror or exc})") from None
    return summary(proposal)
