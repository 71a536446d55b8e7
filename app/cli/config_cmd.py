"""``tillpoint config get|set|list``: the declared settings of this installation."""

from __future__ import annotations

import argparse
import sys
from typing import Callable

from app.config.paths import Paths
from app.config.settings import Settings, spec_for
from app.domain.errors import InvalidInput


def register(add: Callable[..., argparse.ArgumentParser]) -> None:
    config = add("config", "read and change settings (secrets live in the keyring, not here)",
                 cmd_config)
    config.add_argument("action", choices=["get", "set", "list"])
    config.add_argument("key", nargs="?")
    config.add_argument("value", nargs="?")


def _show(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def cmd_config(args: argparse.Namespace, paths: Paths) -> int:
    settings = Settings(paths.settings)
    for problem in settings.problems:
        print(f"tillpoint: warning: {problem}", file=sys.stderr)
    if args.action == "list":
        for spec, value in settings.items():
            print(f"{spec.key} = {_show(value)}    # {spec.description}")
        return 0
    if not args.key:
        raise InvalidInput(f"`config {args.action}` needs a KEY", field="key")
    if args.action == "get":
        if args.value is not None:
            raise InvalidInput("`config get` takes only a KEY", field="value")
        print(_show(settings.get(args.key)))
        return 0
    if args.value is None:
        spec_for(args.key)  # an unknown key is the more useful error
        raise InvalidInput("`config set` needs a VALUE", field="value")
    print(_show(settings.set(args.key, args.value)))
    return 0
