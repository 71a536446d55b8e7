"""Stripe's form encoding, decoded: ``a[b]=c`` nests, ``a[]=x`` and ``a[0]=x`` make lists.

The SDK (``stripe/_encode.py``) always writes arrays indexed (``expand[0]=latest_charge``),
curl users write ``expand[]=…``; both decode to the same list, so idempotency comparisons see
the same parameters whichever way a client spelled them.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl

_KEY = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")


class FormError(ValueError):
    """A key the decoder cannot place (``a[b]`` after ``a=1``, unbalanced brackets)."""

    def __init__(self, key: str, why: str) -> None:
        super().__init__(f"Invalid parameter {key!r}: {why}")
        self.key = key


def decode(raw: str) -> dict[str, Any]:
    """The nested parameters of one query string or form body (values stay strings)."""
    tree: dict[str, Any] = {}
    for key, value in parse_qsl(raw, keep_blank_values=True):
        _place(tree, key, value)
    return _listify(tree)


def _place(tree: dict[str, Any], key: str, value: str) -> None:
    match = _KEY.match(key)
    if match is None:
        raise FormError(key, "unbalanced brackets")
    parts = [match.group(1)] + re.findall(r"\[([^\[\]]*)\]", match.group(2))
    node: dict[str, Any] = tree
    for depth, part in enumerate(parts):
        last = depth == len(parts) - 1
        if part == "":
            # ``a[]=x``: the next free slot of a list kept as {index: value} until the end
            part = str(len(node))
        if last:
            if isinstance(node.get(part), dict):
                raise FormError(key, "given both as a value and as a hash")
            node[part] = value
            return
        child = node.setdefault(part, {})
        if not isinstance(child, dict):
            raise FormError(key, "given both as a value and as a hash")
        node = child


def _listify(node: Any) -> Any:
    """Hashes whose keys are exactly 0..n-1 become lists (how Stripe reads indexed arrays)."""
    if not isinstance(node, dict):
        return node
    converted = {key: _listify(value) for key, value in node.items()}
    keys = list(converted)
    if keys and all(k.isdigit() for k in keys) and sorted(map(int, keys)) == list(range(len(keys))):
        return [converted[str(i)] for i in range(len(keys))]
    return converted
