"""Benchmarks: speed and quality figures measured, printed as tables, never asserted in tests.

Modules: bench_knowledge (retrieval quality, search latency, embedding throughput),
bench_inspection (transcripts per second), bench_voice (the phone line: voice_set makes the Mandarin
phone test set's audio, voice_asr and voice_quality measure recognition, end-to-end accuracy and
intelligibility, voice_capacity sweeps concurrent calls; Vosk real-time factor and reply latency).
Run all with ``python -m bench`` or one with ``python -m bench knowledge``.
"""
