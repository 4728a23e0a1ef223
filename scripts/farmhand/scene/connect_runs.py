"""Which connections of a `connectAttr` run the analysis keeps: those touching a wanted node.

Maya writes every connection at the end of a file, one plain line each; a node-dense scene has
hundreds of thousands of them and the analysis needs a few hundred (render layers, Render
Setup, AOVs). `WantedNodes` holds the names of the nodes whose connections are followed and
picks those lines out of a run without a Python step per line where it can.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable

from farmhand.scene.byte_patterns import ENGINE, BytePattern, compile_bytes

# (source plug, source node, destination plug, destination node) of a plain connectAttr
# line; the node is the plug's text before its first `.`, a leading `:` (root namespace)
# dropped. `_NODES` takes the two nodes alone.
PAIR = re.compile(rb'connectAttr ":?(([^".]*)[^"]*)" ":?(([^".]*)[^"]*)"')
_NODES = re.compile(rb'connectAttr ":?([^".]*)[^"]*" ":?([^".]*)')


class WantedNodes:
    """The names (as written, bytes) of the nodes whose connections the analysis follows."""

    def __init__(self) -> None:
        self.names: set[bytes] = set()
        self._probe: BytePattern | None = None  # see `_may_touch`
        self._probe_size = -1

    def add(self, name: bytes) -> None:
        """Follow this node's connections too."""
        self.names.add(name)

    def __contains__(self, name: bytes) -> bool:
        return name in self.names

    def plug(self, plug: bytes) -> bool:
        """True when the plug's node (`|a|b.attr` by its leaf, `:` dropped) is wanted."""
        node = plug.partition(b".")[0]
        if b"|" in node:
            node = node.rpartition(b"|")[2]
        return node.lstrip(b":") in self.names

    def pairs_in(self, run: bytes) -> list[tuple[bytes, bytes]]:
        """(source plug, destination plug) of the run's lines that touch a wanted node.

        Only the node names are taken from every line; a line is split into its plugs only
        when it touches a wanted node (a few hundred of a node-dense scene's 400,000).
        """
        wanted = self.names
        if not wanted or not self._may_touch(run):
            return []  # the usual batch: told by one search, no Python step per line
        nodes = _NODES.findall(run)
        if b"|" not in run and wanted.isdisjoint(itertools.chain.from_iterable(nodes)):
            return []
        hits: Iterable[int] = [
            i
            for i, (a, b) in enumerate(nodes)
            if a in wanted
            or b in wanted
            or ((b"|" in a or b"|" in b) and (self.plug(a) or self.plug(b)))
        ]
        if not hits:
            return []
        lines = run.split(b"\n")
        if len(lines) != len(nodes) + 1:  # a plug that holds the word connectAttr: try each
            hits = range(len(lines))
        found = []
        for i in hits:
            pair = PAIR.match(lines[i])
            if pair is not None and (self.plug(pair.group(1)) or self.plug(pair.group(3))):
                found.append((pair.group(1), pair.group(3)))
        return found

    def _may_touch(self, run: bytes) -> bool:
        """False only when no line of `run` can name a wanted node (RE2: one DFA pass over
        an alternation of the wanted names; Python's `re` is slow at that, so it says True
        and lets the caller look line by line)."""
        if ENGINE != "re2":
            return True
        if self._probe_size != len(self.names):
            names = b"|".join(re.escape(n) for n in sorted(self.names))
            self._probe = compile_bytes(rb'[":|](?:' + names + rb')[."]')
            self._probe_size = len(self.names)
        return self._probe is not None and self._probe.search(run) is not None
