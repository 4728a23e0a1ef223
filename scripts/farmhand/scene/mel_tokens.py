"""Tokens of one MEL statement as Maya ASCII writes it.

Only statements the analysis needs are tokenized. A token is either a
`Str` (a quoted string, unescaped; `("a" + "b")` concatenations are joined
into one) or a plain `str` (flags, numbers, words such as `yes`).
"""

from __future__ import annotations

import re

_TOKEN = re.compile(r'"((?:[^"\\]|\\.)*)"|([()])|([^\s"()]+)', re.S)
_ESCAPE = re.compile(r"\\(.)", re.S)
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r"}


class Str(str):
    """A quoted string token (as opposed to a bare word)."""

    __slots__ = ()


def unescape(text: str) -> str:
    """MEL string escapes: `\\"`, `\\\\`, `\\n`, `\\t`, `\\r`; others keep the character."""
    if "\\" not in text:
        return text
    return _ESCAPE.sub(lambda m: _ESCAPES.get(m.group(1), m.group(1)), text)


def tokenize(text: str) -> list[str]:
    """Split a statement body into tokens; `(` `"a" + "b" )` becomes one `Str`."""
    tokens: list[str] = []
    depth = 0
    for m in _TOKEN.finditer(text):
        quoted, paren, word = m.groups()
        if quoted is not None:
            value = Str(unescape(quoted))
            if depth and tokens and tokens[-1] == "+" and _is_str(tokens, -2):
                tokens.pop()
                value = Str(tokens.pop() + value)
            tokens.append(value)
        elif paren == "(":
            depth += 1
        elif paren == ")":
            depth = max(depth - 1, 0)
        else:
            tokens.append(word)
    return tokens


def _is_str(tokens: list[str], index: int) -> bool:
    return len(tokens) >= -index and isinstance(tokens[index], Str)


def flag_values(tokens: list[str], with_arg: dict[str, str]) -> tuple[dict[str, str], list[str]]:
    """Separate `-flag value` pairs (names in `with_arg`, mapped to a canonical name) from the rest.

    Flags not in `with_arg` are kept as boolean `True` markers under their own
    name; the remaining positional tokens are returned in order.
    """
    flags: dict[str, str] = {}
    rest: list[str] = []
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if not isinstance(tok, Str) and tok.startswith("-") and not _is_number(tok):
            name = with_arg.get(tok)
            if name is not None and i + 1 < len(tokens):
                flags[name] = tokens[i + 1]
                i += 2
                continue
            flags[tok] = "true"
        else:
            rest.append(tok)
        i += 1
    return flags, rest


def _is_number(tok: str) -> bool:
    try:
        float(tok)
    except ValueError:
        return False
    return True


_BOOLS = {"yes": True, "on": True, "true": True, "no": False, "off": False, "false": False}


def scalar(tok: str) -> str | bool | int | float:
    """A bare value: bool words, ints, floats; strings stay strings."""
    if isinstance(tok, Str):
        return str(tok)
    low = tok.lower()
    if low in _BOOLS:
        return _BOOLS[low]
    try:
        return int(tok)
    except ValueError:
        pass
    try:
        return float(tok)
    except ValueError:
        return tok
