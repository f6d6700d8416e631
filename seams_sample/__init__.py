"""``seams sample``: a SYNTHETIC monolith to try Seams on.

"shopfront" is an invented Django web shop with ten bounded contexts. The sample holds its
git history, a PostgreSQL log and OpenTelemetry traces generated from one seeded model
(:mod:`seams_sample.world`), with planted characteristics that the analysis should
discover by itself (listed in the sample's PLANTED.md).

Modules: ``world`` (the shop), ``source_code`` (its files as evolving state),
``repository`` (the git history, via git fast-import), ``workload`` (simulated traffic),
``postgres_log`` and ``otlp_traces`` (rendering), ``config_file`` (seams.yml), ``planted``
(PLANTED.md), ``build`` (:func:`build_sample`).
"""

from seams_sample.build import build_sample, is_complete_sample

__all__ = ["build_sample", "is_complete_sample"]
