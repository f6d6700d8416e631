"""Coupling between bounded contexts, one signal per module.

Structural (imports), evolutionary (co-change), data (tables) and runtime (traces)
coupling are each computed from frames and the context of each unit, as pure functions
with their formulas in the docstrings; :mod:`analysis.measures.coupling.pairs` puts the signals
side by side per context pair. This package never imports sources, outputs or the
command line.
"""
