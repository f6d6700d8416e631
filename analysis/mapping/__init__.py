"""Mapping: every unit a source sees (file, module, table, span, statement) to its bounded
context, by the declared context map."""
