"""Start Tillpoint: the desktop client, or one of its commands (``tillpoint --help``)."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    from app.cli import build_parser, dispatch
    from app.cli.store_cmd import ensure_demo
    from app.config.paths import Paths

    args = build_parser().parse_args(argv)
    paths = Paths.resolve(args.data_dir)
    if args.command in (None, "demo"):
        if args.command == "demo":
            ensure_demo(paths, products=args.products)
        from ui.app import run  # Qt is imported only when a window is wanted

        return run(paths)
    return dispatch(args, paths)


if __name__ == "__main__":
    sys.exit(main())
