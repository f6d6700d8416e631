"""Per-context metrics: pure functions of frames and named thresholds.

Each module measures one thing about the bounded contexts (change, teams, coordination,
load, observability). Inputs are the frames of :mod:`analysis.core.frames` plus the context of
each unit as a Series aligned with the frame (``<NA>`` = unassigned); outputs are frames
or plain dicts. No I/O, no plotting, no wall clock: time windows end at a ``now`` the
caller passes in. This package never imports sources, outputs or the command line.
"""
