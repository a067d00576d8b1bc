"""Undo and redo over configuration changes, with what each change discarded.

An entry is the configuration before a change, a :class:`Snapshot` of the trained weights,
optimizer and history when the change threw them away (a network change, new weights, a loaded
file), and a short text of what going back sets ("hidden = 8"). The history is bounded: at most
UNDO_DEPTH entries, and snapshots for the newest changes only, up to UNDO_SNAPSHOT_BYTES (older
entries keep their configuration). No Qt here: the session owns one.
"""

from dataclasses import dataclass, replace

from .config import ExplorerConfig

UNDO_DEPTH = 200                     # configuration changes kept for undo
UNDO_SNAPSHOT_BYTES = 256 * 2**20    # trained weights kept with them, newest first, up to this


@dataclass(frozen=True)
class Snapshot:
    """What a configuration change discards (restored by undo): weights, optimizer, history."""
    params: dict
    optimizer: object
    history: object
    nbytes: int


@dataclass(frozen=True)
class Entry:
    config: ExplorerConfig        # the configuration going back (or forth) sets
    snapshot: Snapshot | None     # the weights it brings back, if the change had discarded them
    text: str                     # e.g. "hidden = 8"


def describe(destination: ExplorerConfig, current: ExplorerConfig) -> str:
    """What going from ``current`` to ``destination`` sets, e.g. "hidden = 8"."""
    changed = sorted(destination.changed_fields(current))
    return ", ".join(f"{name} = {getattr(destination, name)}" for name in changed[:3]) or "new weights"


class UndoHistory:
    def __init__(self):
        self._undo: list[Entry] = []
        self._redo: list[Entry] = []

    @property
    def can_undo(self) -> bool:
        return bool(self._undo)

    @property
    def can_redo(self) -> bool:
        return bool(self._redo)

    def undo_text(self) -> str:
        return self._undo[-1].text if self._undo else ""

    def redo_text(self) -> str:
        return self._redo[-1].text if self._redo else ""

    def remember(self, before: ExplorerConfig, after: ExplorerConfig, snapshot: Snapshot | None):
        """A change from ``before`` to ``after`` (``snapshot``: what it discards); redo is cleared."""
        self._undo.append(Entry(before, snapshot, describe(before, after)))
        del self._undo[:-UNDO_DEPTH]
        budget = UNDO_SNAPSHOT_BYTES         # keep the trained weights of the newest changes only
        for i in range(len(self._undo) - 1, -1, -1):
            entry = self._undo[i]
            if entry.snapshot is not None:
                budget -= entry.snapshot.nbytes
                if budget < 0:
                    self._undo[i] = replace(entry, snapshot=None)
        self._redo.clear()

    def step(self, backward: bool, current: ExplorerConfig, snapshot_now) -> Entry | None:
        """Take the newest entry of undo (``backward``) or redo, and put the way back on the other
        stack (``snapshot_now()``: the current weights, taken only if the entry restores weights)."""
        source, target = (self._undo, self._redo) if backward else (self._redo, self._undo)
        if not source:
            return None
        entry = source.pop()
        target.append(Entry(current, snapshot_now() if entry.snapshot is not None else None,
                            describe(current, entry.config)))
        return entry
