"""Traces: OTLP (JSON, protobuf), Jaeger JSON, Zipkin v2, Jaeger's service dependencies."""

from analysis.sources.traces.miner import iter_span_chunks, mine_traces

__all__ = ["iter_span_chunks", "mine_traces"]
