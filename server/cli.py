"""``tillpoint-server``: the central API's command line.

The server itself (API, embedded database, admin commands) is built by the "Central API
server" issues; until then this entry point reports its version and says so plainly instead of
pretending to serve.
"""

from __future__ import annotations

import argparse
import sys
from importlib.metadata import PackageNotFoundError, version


def _version() -> str:
    try:
        return version("tillpoint")
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "unknown"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="tillpoint-server",
                                     description="Tillpoint central API server")
    parser.add_argument("--version", action="version", version=f"tillpoint-server {_version()}")
    parser.parse_args(argv)
    print("tillpoint-server: the central API is not built yet in this version "
          "(see the README's status note)", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
