"""Validations per second of ``Contract.validate`` / ``is_valid`` on boundary payloads.

python benchmarks/validation.py
"""

from __future__ import annotations

import time

from runcontract import boundary_cases, load_contract


def main() -> None:
    contract = load_contract()
    cases = boundary_cases(contract)
    valid = [c.payload for c in cases if c.side == "at"]
    invalid = [c.payload for c in cases if c.side == "past"]
    rows = []
    for name, func, payloads in (
        ("is_valid, valid payloads", contract.is_valid, valid),
        ("validate, valid payloads", contract.validate, valid),
        ("validate, invalid payloads (ids mapped)", contract.validate, invalid),
    ):
        n, start = 0, time.perf_counter()
        while time.perf_counter() - start < 1.0:
            for p in payloads:
                func(p)
            n += len(payloads)
        rate = n / (time.perf_counter() - start)
        rows.append((name, rate))
    print(f"{'what':<45} {'per second':>12}")
    for name, rate in rows:
        print(f"{name:<45} {rate:>12,.0f}")


if __name__ == "__main__":
    main()
