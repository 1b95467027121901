"""``python -m bench [knowledge|inspection|voice|load] [--quick]``: run benchmarks and print tables."""

from __future__ import annotations

import argparse
import logging

from bench.table import print_tables


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description="性能与质量基准（打印表格）")
    parser.add_argument("parts", nargs="*", default=["knowledge", "inspection", "voice"])
    parser.add_argument("--quick", action="store_true", help="smaller runs (10k, 100k passages; 1-4 calls)")
    parser.add_argument("--sessions", type=int, default=50, help="load: concurrent chat sessions")
    parser.add_argument("--duration", type=float, default=600.0, help="load: seconds")
    parser.add_argument("--calls", type=int, default=0, help="load: simultaneous phone calls")
    parser.add_argument("--base-url", default=None, help="load: a running API (default: start one)")
    parser.add_argument(
        "--against", default=None, help="load: also run this git ref first and print both side by side"
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    for part in args.parts:
        if part == "knowledge":
            from bench import bench_knowledge

            sizes = (10_000, 100_000) if args.quick else (10_000, 100_000, 1_000_000)
            print_tables({f"knowledge: {k}": v for k, v in bench_knowledge.run(sizes).items()})
        elif part == "inspection":
            from bench import bench_inspection

            print_tables({"inspection: transcripts per second": bench_inspection.run()})
        elif part == "voice":
            from bench import bench_voice

            print_tables(bench_voice.run(quick=args.quick))
        elif part == "load":
            from bench import bench_load

            sessions, duration = (10, 30.0) if args.quick else (args.sessions, args.duration)
            if args.against:
                from bench import load_compare

                print_tables(
                    load_compare.compare(args.against, sessions=sessions, duration=duration, calls=args.calls)
                )
                continue
            print_tables(
                bench_load.run(base_url=args.base_url, sessions=sessions, duration=duration, calls=args.calls)
            )
        else:
            parser.error(f"unknown part {part!r}")


if __name__ == "__main__":
    main()
