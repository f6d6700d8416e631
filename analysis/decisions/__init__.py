"""Decisions: the three verdicts, the extraction ranking and the overall recommendation.

Pure functions of evidence (plain numbers and frames) and named thresholds; they never mine,
plot or write. Rules are documented in docs/verdicts.md.
"""
