"""Benchmarks: speed and quality figures measured, printed as tables, never asserted in tests.

Modules: bench_knowledge (retrieval quality, search latency, embedding throughput),
bench_inspection (transcripts per second), bench_voice (real-time factor, reply latency).
Run all with ``python -m bench`` or one with ``python -m bench knowledge``.
"""
