"""The Seams version: in the cache keys and in findings.json."""

__version__ = "0.1.0"
