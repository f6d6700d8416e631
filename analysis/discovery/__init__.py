"""Context discovery: ``seams init`` proposes the context map from a repository's conventions
(:mod:`analysis.discovery.propose`). It reads sources (git, the ORM models, the entry points, the
log formats) and the mapping (to measure coverage), and writes nothing but the proposed file."""
