"""Everything Seams reads from git: the history (names and churn, in one or several
processes, with an incremental cache), each merged pull request's files, the complexity of
the files at HEAD, deploys (a deploy log, or release tags as a proxy) and, optionally,
PyDriller's per-commit fields. Git runs only through :mod:`analysis.sources.git.command`."""

from analysis.sources.git.complexity import mine_complexity
from analysis.sources.git.deploys import mine_deploys
from analysis.sources.git.merges import mine_merge_files
from analysis.sources.git.miner import mine_git_history
from analysis.sources.git.rich import rich_commits

__all__ = ["mine_complexity", "mine_deploys", "mine_git_history", "mine_merge_files", "rich_commits"]
