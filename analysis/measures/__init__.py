"""Measures: pure functions from frames and the unit-to-context map to evidence (history,
structure, data, runtime). No I/O."""
