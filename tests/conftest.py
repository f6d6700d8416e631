"""Shared fixtures.

``sample_run`` builds the small synthetic sample once per test session and runs the real
report notebook on it (``wide_run`` does the same for the 30-context "widemart" profile) (``analysis.outputs.report.run_report``); the end-to-end and browser tests
read its outputs. Tests that use it are marked ``e2e`` (or ``browser``), so
``pytest -m "not e2e and not browser"`` keeps to the fast unit tests.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from analysis.outputs.report import RunResult, run_report


@dataclass(frozen=True)
class SampleRun:
    """A finished report run on the small sample, with the paths around it."""

    result: RunResult
    sample_dir: Path
    config_path: Path
    reports_dir: Path
    cache_dir: Path

    @property
    def run_dir(self) -> Path:
        return self.result.run_dir

    @property
    def html(self) -> Path:
        return self.result.html

    @property
    def notebook(self) -> Path:
        return self.result.notebook

    @property
    def findings(self) -> dict:
        return self.result.findings

    @property
    def verdicts(self) -> dict:
        return self.result.verdicts


@pytest.fixture(scope="session")
def sample_run(tmp_path_factory) -> SampleRun:
    """The small sample (seed 7) built into a temporary folder and reported on once."""
    from seams_sample import build_sample

    root = tmp_path_factory.mktemp("sample-run")
    cache = root / "cache"
    with pytest.MonkeyPatch.context() as mp:
        # the cache goes with the test's files, never into the working tree; the report
        # kernel inherits the variable
        mp.setenv("SEAMS_CACHE_DIR", str(cache))
        config = Path(build_sample(root / "sample", seed=7, scale="small"))
        result = run_report(config, root / "reports")
    return SampleRun(result=result, sample_dir=root / "sample", config_path=config,
                     reports_dir=root / "reports", cache_dir=cache)


@pytest.fixture(scope="session")
def wide_run(tmp_path_factory) -> SampleRun:
    """The 30-context "widemart" profile (seed 7) built and reported on once: a monolith the
    size of a real one, to check that the report scales."""
    from seams_sample import build_sample

    root = tmp_path_factory.mktemp("wide-run")
    cache = root / "cache"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SEAMS_CACHE_DIR", str(cache))
        config = Path(build_sample(root / "sample", seed=7, profile="wide", contexts=30))
        result = run_report(config, root / "reports")
    return SampleRun(result=result, sample_dir=root / "sample", config_path=config,
                     reports_dir=root / "reports", cache_dir=cache)


@pytest.fixture(scope="session")
def sample_secrets() -> list[str]:
    """The literal values the sample plants in SQL literals and span attributes: no report
    output may contain any of them."""
    from seams_sample.shop import SECRETS

    return list(SECRETS.values())
