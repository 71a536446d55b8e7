"""Start Tillpoint: the desktop client, or one of its commands (``tillpoint --help``)."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    from app.cli import build_parser, dispatch
    from app.cli.store_cmd import ensure_demo
    from app.config.paths import Paths

    from app.domain.errors import DomainError
    from sync.commands import register as sync_commands

    args = build_parser(extra=(sync_commands,)).parse_args(argv)
    try:
        paths = Paths.resolve(args.data_dir)
    except DomainError as exc:
        print(f"tillpoint: {exc}", file=sys.stderr)
        return 1
    if args.command is None:
        from ui.app import run  # Qt is imported only when a window is wanted

        return run(paths)
    if args.command == "demo":
        return _demo(args, paths, ensure_demo)
    return dispatch(args, paths)


def _demo(args, paths, ensure_demo) -> int:  # noqa: ANN001 - argparse namespace and callables
    """The demo shop in the window. With a local central server (the default) the till pairs
    itself with the server's demo shop and syncs, in the background: the window opens at once
    and follows. Without one (``--no-server``, or a server that cannot start) the demo shop is
    made locally and stays offline."""
    import threading

    from app.demo_server import DEMO_OWNER_EMAIL, DEMO_OWNER_PASSWORD, LocalServer

    server = None
    if not args.no_server:
        server = LocalServer(paths.data_dir / "server", port=args.server_port,
                             products=args.products)
        if server.start():
            print(f"tillpoint demo: local central server at {server.url} "
                  f"(owner {DEMO_OWNER_EMAIL} / {DEMO_OWNER_PASSWORD}); log in "
                  f"{server.data_dir / 'server.log'}", file=sys.stderr)
        else:
            print(f"tillpoint demo: working offline: {server.problem}", file=sys.stderr)
            server = None
    if server is None:
        ensure_demo(paths, products=args.products)
    else:
        from sync import demo

        demo.use_saved_demo_key(server)

        def prepare() -> None:
            outcome = demo.prepare(paths, server)
            print(f"tillpoint demo: {outcome.message}", file=sys.stderr)

        threading.Thread(target=prepare, name="demo-pairing", daemon=True).start()
    try:
        from ui.app import run

        return run(paths)
    finally:
        if server is not None:
            print("tillpoint demo: stopping the local central server…", file=sys.stderr)
            server.stop()


if __name__ == "__main__":
    sys.exit(main())
