"""``python -m runcontract.server [--host H] [--port P] [--contract v1|v2]``: serve the reference server."""

from __future__ import annotations

import argparse

from .._options import DEFAULT_VERSION, VERSIONS
from ._background import serve


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m runcontract.server", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--contract", choices=VERSIONS, default=DEFAULT_VERSION)
    args = parser.parse_args()
    serve(args.host, args.port, version=args.contract)


if __name__ == "__main__":
    main()
