"""The ``tillpoint`` command line (everything but the window, which ``main.py`` starts).

Exit codes: 0 success; 1 the command ran but failed (a refused sale, a broken audit chain, a
store that cannot be opened); 2 the command line itself was wrong (argparse's convention).
Errors go to standard error as one line naming the field at fault; JSON results go to
standard output.
"""

from __future__ import annotations

import argparse
import logging
import sys
from typing import Callable, Iterable

from app import __version__
from app.config.paths import Paths
from app.config.secrets import SecretStoreUnavailable
from sqlalchemy.exc import OperationalError

from app.domain.errors import DomainError
from db.engine import StoreError

Handler = Callable[[argparse.Namespace, Paths], int]
#: adds one command: ``add(name, help, handler) -> its argparse parser``
AddCommand = Callable[[str, str, Handler], argparse.ArgumentParser]
#: a module's ``register(add)``: how packages ``app`` may not import (``sync``) add commands
Registrar = Callable[[AddCommand], None]


def _data_dir_option(parser: argparse.ArgumentParser, *, top: bool) -> None:
    parser.add_argument("--data-dir", metavar="DIR",
                        default=None if top else argparse.SUPPRESS,
                        help="where the local store and settings live "
                             "(default: $TILLPOINT_DATA_DIR or the platform's data directory)")


def build_parser(extra: Iterable[Registrar] = ()) -> argparse.ArgumentParser:
    """The whole command line; ``extra`` registrars add commands from outside ``app``
    (``main.py`` passes the sync commands)."""
    from app.cli import (backup_cmd, config_cmd, data_cmd, print_cmd, sale_cmd, store_cmd,
                         stripe_cmd)

    parser = argparse.ArgumentParser(
        prog="tillpoint",
        description="Tillpoint point of sale. Without a command, opens the desktop client.")
    parser.add_argument("--version", action="version", version=f"tillpoint {__version__}")
    _data_dir_option(parser, top=True)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def add(name: str, help_text: str, handler: Handler) -> argparse.ArgumentParser:
        cmd = sub.add_parser(name, help=help_text, description=help_text)
        _data_dir_option(cmd, top=False)
        cmd.set_defaults(handler=handler)
        return cmd

    demo = add("demo", "open the desktop client on a demo shop (created on first use) with a "
                       "local central server on its embedded database", _window)
    demo.add_argument("--products", type=int, default=500, help="size of the demo catalogue")
    demo.add_argument("--no-server", action="store_true",
                      help="do not start a local central server beside the client")
    demo.add_argument("--server-port", type=int, default=8700)
    store_cmd.register(add)
    data_cmd.register(add)
    sale_cmd.register(add)
    config_cmd.register(add)
    backup_cmd.register(add)
    stripe_cmd.register(add)
    print_cmd.register(add)
    for registrar in extra:
        registrar(add)
    return parser


def _window(args: argparse.Namespace, paths: Paths) -> int:  # pragma: no cover - replaced in main
    raise RuntimeError("the window is started by main.py")


def run(argv: list[str] | None = None, extra: Iterable[Registrar] = ()) -> int:
    """Parse and run one command; returns the process exit code."""
    parser = build_parser(extra)
    args = parser.parse_args(argv)
    if getattr(args, "handler", None) is None:
        parser.print_help()
        return 2
    try:
        paths = Paths.resolve(args.data_dir)
    except DomainError as exc:
        print(f"tillpoint: {exc}", file=sys.stderr)
        return 1
    return dispatch(args, paths)


def dispatch(args: argparse.Namespace, paths: Paths) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        return args.handler(args, paths)
    except DomainError as exc:
        print(f"tillpoint: {exc}", file=sys.stderr)
        return 1
    except (StoreError, SecretStoreUnavailable) as exc:
        print(f"tillpoint: {exc}", file=sys.stderr)
        return 1
    except OperationalError as exc:  # locked by another writer, disk full, I/O error
        print(f"tillpoint: the store could not be used: {exc.orig}; nothing was written",
              file=sys.stderr)
        return 1
    except OSError as exc:  # an export target that is a directory, not writable, …
        print(f"tillpoint: {exc.strerror or exc}: {exc.filename or ''}".rstrip(": "), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("tillpoint: interrupted; nothing was half-written", file=sys.stderr)
        return 130
