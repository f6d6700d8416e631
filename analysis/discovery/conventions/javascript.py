"""JavaScript and TypeScript workspaces: the packages ``package.json``'s ``workspaces`` (a list,
or ``{"packages": [...]}``) or ``pnpm-workspace.yaml``'s ``packages`` name, each folder with its
own ``package.json`` a context named by its package name (scope dropped)."""

from __future__ import annotations

import json
import re
from pathlib import PurePosixPath

import yaml

from analysis.core.globs import glob_regex
from analysis.discovery.conventions import Candidate, name_of
from analysis.discovery.tree import RepositoryTree


def workspace_globs(tree: RepositoryTree) -> tuple[list[str], str]:
    text = tree.text("package.json") if "package.json" in tree.file_set else None
    if text:
        try:
            doc = json.loads(text)
        except ValueError:
            doc = {}
        spaces = doc.get("workspaces") if isinstance(doc, dict) else None
        if isinstance(spaces, dict):
            spaces = spaces.get("packages")
        if isinstance(spaces, list) and spaces:
            return [str(s) for s in spaces], "package.json workspaces"
    text = tree.text("pnpm-workspace.yaml") if "pnpm-workspace.yaml" in tree.file_set else None
    if text:
        try:
            doc = yaml.safe_load(text)
        except yaml.YAMLError:
            doc = {}
        spaces = doc.get("packages") if isinstance(doc, dict) else None
        if isinstance(spaces, list):
            return [str(s) for s in spaces], "pnpm-workspace.yaml"
    return [], ""


def detect(tree: RepositoryTree) -> list[Candidate]:
    globs, evidence = workspace_globs(tree)
    if not globs:
        return []
    patterns = [glob_regex(g.rstrip("/")) for g in globs if not g.startswith("!")]
    out = []
    for path in tree.files:
        if PurePosixPath(path).name != "package.json" or path == "package.json" or "node_modules/" in path:
            continue
        folder = str(PurePosixPath(path).parent)
        if not any(p.match(folder) for p in patterns):
            continue
        try:
            name = json.loads(tree.text(path) or "{}").get("name") or folder
        except (ValueError, AttributeError):
            name = folder
        out.append(Candidate(name=name_of(re.sub(r"^@[^/]+/", "", str(name))), folder=folder, convention="JS/TS workspace",
                             evidence=f"{evidence}; {path}"))
    return out
