"""`python -m bench [--smoke] [--only NAME ...] [--out PATH]`: run the figures, print one table, write
results.json ({"figures": [{"name", "value", "unit", "target", "pass"}, ...]} plus run details)."""

from __future__ import annotations

import argparse
import gc
import json
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .common import Figure

NAMES = ("cold_start", "scaling", "request_path", "estimates", "fanout", "photos", "frontend", "cost")
DEFAULT_OUT = Path(__file__).resolve().parent / "results.json"


def table(figures: list[Figure]) -> str:
    rows = [("figure", "value", "target", "result")]
    for f in figures:
        value = f"{f.value:.4g} {f.unit}" if f.unit != "USD" else f"${f.value:.4f}"
        result = "info" if f.passed is None else ("PASS" if f.passed else "FAIL")
        rows.append((f.name, value, f.target or "", result))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--smoke", action="store_true", help="tiny sizes: checks that every bench runs")
    parser.add_argument("--only", nargs="+", choices=NAMES, help="run these benches only")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"results file (default {DEFAULT_OUT})")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a figure misses its target")
    args = parser.parse_args(argv)
    selected = set(args.only or NAMES)
    if "cost" in selected:
        selected.add("request_path")  # cost is computed from its measured durations

    started = time.monotonic()
    figures: list[Figure] = []
    details: dict[str, Any] = {}
    errors: dict[str, str] = {}

    def step(name: str, fn: Callable[[], tuple[list[Figure], dict[str, Any]]]) -> None:
        if name not in selected:
            return
        # Whatever earlier benches left in this process (the scaling bench's 10,000 in-process moto
        # items) is frozen out of the garbage collector's scans: otherwise full collections stall the
        # event loop of this bench's clients and add hundreds of ms to fan-out arrival times.
        gc.collect()
        gc.freeze()
        t0 = time.monotonic()
        print(f"[bench] {name} ...", file=sys.stderr, flush=True)
        try:
            got, detail = fn()
        except Exception as exc:
            errors[name] = f"{type(exc).__name__}: {exc}"
            traceback.print_exc()
            return
        figures.extend(got)
        details[name] = {**detail, "seconds": round(time.monotonic() - t0, 1)}

    from . import cold_start, cost, estimates, fanout, frontend_size, photos, request_path, scaling

    smoke = args.smoke
    step("cold_start", lambda: cold_start.run(smoke))
    step("scaling", lambda: scaling.run(smoke))
    step("frontend", lambda: frontend_size.run(smoke))
    if selected & {"request_path", "estimates", "fanout", "photos"}:
        from .stack import local_stack

        try:
            with local_stack() as target:
                step("request_path", lambda: request_path.run(target, smoke))
                step("estimates", lambda: estimates.run(target, smoke))
                step("fanout", lambda: fanout.run(target, smoke))
                step("photos", lambda: photos.run(target, smoke))
        except Exception as exc:  # the stack did not start
            errors["local_stack"] = f"{type(exc).__name__}: {exc}"
            traceback.print_exc()
    if "request_path" in details:
        step("cost", lambda: cost.run(details["request_path"], smoke))
    elif "cost" in selected:
        errors["cost"] = "needs the request_path figures"

    elapsed = time.monotonic() - started
    result = {
        "figures": [f.as_json() for f in figures],
        "smoke": smoke,
        "seconds": round(elapsed, 1),
        "details": details,
        "errors": errors,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(table(figures))
    if "cost" in details:
        print("\n" + cost.lines_table(details["cost"]))
        print("\n" + cost.lines_table(details["cost"], "monthly_with_sms"))
    print(f"\n{len(figures)} figures in {elapsed:.0f} s -> {args.out}")
    for name, message in errors.items():
        print(f"ERROR {name}: {message}", file=sys.stderr)
    if errors:
        return 2
    if args.strict and any(f.passed is False for f in figures):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
