"""Decoding of Stripe's form and query encoding (``a[b][c]=v``, ``a[]=v``, ``a[0]=v``).

The result is a tree of dicts, lists and strings.  Indexed keys
(``payment_method_types[0]``) stay dict keys here; the parameter schema turns
them into lists where it expects a list, because a metadata key may be a number
too.
"""

import re
from urllib.parse import parse_qsl

from . import errors

_NAME = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")
_PART = re.compile(r"\[([^\[\]]*)\]")


def decode(encoded):
    """Decode an ``application/x-www-form-urlencoded`` string or query string."""
    root = {}
    for name, value in parse_qsl(encoded, keep_blank_values=True):
        match = _NAME.match(name)
        if not match:
            raise errors.invalid_request(f"Invalid parameter name: {name}")
        keys = [match.group(1)] + _PART.findall(match.group(2))
        _assign(root, keys, value, name)
    return root


def _assign(node, keys, value, name):
    head, rest = keys[0], keys[1:]
    if isinstance(node, list):
        # Only reached through "a[]": every bracketless append starts a new item
        # unless the last item is a dict still missing this key.
        if rest:
            if node and isinstance(node[-1], dict) and head not in node[-1]:
                _assign(node[-1], keys, value, name)
            else:
                child = {}
                node.append(child)
                _assign(child, keys, value, name)
        else:
            node.append(value)
        return
    if not rest:
        node[head] = value
        return
    if rest[0] == "":
        child = node.setdefault(head, [])
        if not isinstance(child, list):
            raise errors.invalid_request(f"Invalid array: {name}", param=name)
        if len(rest) == 1:
            child.append(value)
        else:
            _assign(child, rest[1:], value, name)
        return
    child = node.setdefault(head, {})
    if not isinstance(child, dict):
        raise errors.invalid_request(f"Invalid hash: {name}", param=name)
    _assign(child, rest, value, name)
