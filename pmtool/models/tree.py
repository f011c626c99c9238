"""pmtool's own process tree: the block structure the inductive miner finds, as plain immutable data.

The inductive miner's tree comes in through :mod:`pmtool.eventlog.pm4py_bridge`; here a tree is a label
(a leaf) or an operator with children. A leaf without a label is silent (tau).

>>> tree = ProcessTree.seq(ProcessTree.leaf("A"), ProcessTree.xor(ProcessTree.leaf("B"), ProcessTree.tau()))
>>> tree.to_text()
"->('A', X('B', tau))"
>>> sorted(tree.labels)
['A', 'B']
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

SEQUENCE = "->"
XOR = "X"
PARALLEL = "+"
LOOP = "*"
OR = "O"
OPERATORS = (SEQUENCE, XOR, PARALLEL, LOOP, OR)


@dataclass(frozen=True)
class ProcessTree:
    """``operator`` is one of :data:`OPERATORS` for an inner node, ``None`` for a leaf.

    A leaf's ``label`` is the activity, ``None`` for a silent step. A loop has the body first and the
    redo parts after it (pm4py's convention): ``*(A, B)`` is A, then any number of (B, A)."""

    operator: str | None = None
    label: str | None = None
    children: tuple[ProcessTree, ...] = ()

    @classmethod
    def leaf(cls, label: str) -> ProcessTree:
        return cls(None, label)

    @classmethod
    def tau(cls) -> ProcessTree:
        return cls(None, None)

    @classmethod
    def seq(cls, *children: ProcessTree) -> ProcessTree:
        return cls(SEQUENCE, None, children)

    @classmethod
    def xor(cls, *children: ProcessTree) -> ProcessTree:
        return cls(XOR, None, children)

    @classmethod
    def parallel(cls, *children: ProcessTree) -> ProcessTree:
        return cls(PARALLEL, None, children)

    @classmethod
    def loop(cls, body: ProcessTree, *redo: ProcessTree) -> ProcessTree:
        return cls(LOOP, None, (body, *redo))

    @property
    def is_leaf(self) -> bool:
        return self.operator is None

    @property
    def is_tau(self) -> bool:
        return self.operator is None and self.label is None

    @cached_property
    def labels(self) -> frozenset[str]:
        """The visible activity labels in the tree."""
        if self.is_leaf:
            return frozenset() if self.label is None else frozenset({self.label})
        return frozenset().union(*(c.labels for c in self.children))

    def to_text(self) -> str:
        """pm4py's notation (``->('A', X('B', tau))``), for logs and reports; labels are quoted."""
        if self.is_leaf:
            return "tau" if self.label is None else "'" + self.label.replace("'", "\\'") + "'"
        return f"{self.operator}({', '.join(c.to_text() for c in self.children)})"
