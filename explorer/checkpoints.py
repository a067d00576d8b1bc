"""Checkpoints of the weights (and optimizer state) saved while training, for time travel: the
network as it was at any earlier update is recomputed from the latest checkpoint at or before it.

Memory is bounded by a byte budget. The recent past is kept densely, the distant past sparsely:
the spacing between kept checkpoints grows in proportion to their age.

No Qt here.
"""

import bisect
import copy
import operator

import numpy as np

_SHRINK = 0.8     # each thinning pass tries a density this much lower than the previous one
_GROW = 1.25      # and the first pass of a thinning this much higher than the last one kept
_HEADROOM = 0.75  # a thinning brings the total to at most this share of the budget, when it can


def estimate_nbytes(obj) -> int:
    """Sum of ``nbytes`` of the ndarrays found in ``obj`` and its nested dicts, lists and tuples."""
    if isinstance(obj, np.ndarray):
        return int(obj.nbytes)
    if isinstance(obj, dict):
        return sum(estimate_nbytes(v) for v in obj.values())
    if isinstance(obj, (list, tuple)):
        return sum(estimate_nbytes(v) for v in obj)
    return 0


class CheckpointStore:
    """Checkpoints at increasing updates within ``budget_bytes``, denser for the recent past.

    Thinning rule. With ``newest`` the latest update held and a density ``M`` (> 0), a walk from
    the newest checkpoint to the oldest keeps

    - the newest and the oldest checkpoint (update 0, the initial weights, once added) always;
    - any other checkpoint at update u whose distance to the last one kept (the next newer kept
      checkpoint) is at least (newest − u) / M.

    So the spacing grows in proportion to age: about M·ln 2 checkpoints per octave of age
    [2^k, 2^(k+1)), every checkpoint for ages below M. The walk only removes checkpoints.

    Thinning runs only when an ``add`` takes the total over the budget. It tries M from 1.25× the
    density of the last thinning (or, the first time, the number of checkpoints) down by 0.8×
    per pass, and keeps the first result within 3/4 of the budget (else the first within the
    budget, else only the oldest and newest). So a thinning costs O(number of checkpoints) per
    pass, a handful of passes, and then at least a quarter of the budget is free for new ones:
    O(1) passes' worth of work per add, amortised. If the oldest and newest checkpoints alone
    exceed the budget both are kept anyway.

    ``nbytes`` of an entry: the parameter arrays' bytes plus the optimizer state's (as given to
    :meth:`add`, else estimated from the ndarrays it holds).
    """

    def __init__(self, budget_bytes: int) -> None:
        budget_bytes = operator.index(budget_bytes)
        if budget_bytes <= 0:
            raise ValueError(f"the checkpoint budget must be positive, got {budget_bytes} bytes")
        self.budget_bytes = budget_bytes
        self._updates: list[int] = []
        self._entries: list[tuple[dict, object, int]] = []   # (params, optimizer_state, nbytes)
        self._nbytes = 0
        self._density: float | None = None   # M of the last thinning

    def __len__(self) -> int:
        return len(self._updates)

    def __repr__(self) -> str:
        return (f"CheckpointStore({len(self)} checkpoints, {self._nbytes} of "
                f"{self.budget_bytes} bytes)")

    @property
    def nbytes(self) -> int:
        """Bytes held, as counted against the budget."""
        return self._nbytes

    def updates(self) -> list[int]:
        """The updates that have a checkpoint, oldest first."""
        return list(self._updates)

    # ------------------------------------------------------------------ adding and looking up

    def add(self, update: int, params: dict, optimizer_state: object, nbytes: int | None = None) -> None:
        """Save the weights after ``update`` updates (copies of ``params``' arrays) and the
        optimizer state as given (the caller passes its own snapshot). ``update`` must be later
        than every checkpoint held (after :meth:`truncate_after`, later than those kept)."""
        update = operator.index(update)
        if update < 0:
            raise ValueError(f"update must not be negative, got {update}")
        if self._updates and update <= self._updates[-1]:
            raise ValueError(f"checkpoints are added in increasing order: update {update} after "
                             f"{self._updates[-1]}")
        saved = {}
        for name, value in params.items():
            a = np.array(value, copy=True)
            a.flags.writeable = False
            saved[name] = a
        size = sum(a.nbytes for a in saved.values())
        size += estimate_nbytes(optimizer_state) if nbytes is None else operator.index(nbytes)
        self._updates.append(update)
        self._entries.append((saved, optimizer_state, size))
        self._nbytes += size
        if self._nbytes > self.budget_bytes and len(self._updates) > 2:
            self._thin()

    def nearest_at_or_before(self, update: int) -> tuple[int, dict, object]:
        """``(u, params, optimizer_state)`` of the latest checkpoint with u ≤ ``update``: where to
        start recomputing the network as it was after ``update`` updates. Both ``params`` and
        ``optimizer_state`` are fresh copies the caller may change. KeyError if none is that old."""
        i = bisect.bisect_right(self._updates, operator.index(update)) - 1
        if i < 0:
            first = f"the first is at update {self._updates[0]}" if self._updates else "there are none"
            raise KeyError(f"no checkpoint at or before update {update} ({first})")
        params, optimizer_state, _ = self._entries[i]
        return (self._updates[i], {name: a.copy() for name, a in params.items()},
                copy.deepcopy(optimizer_state))

    def truncate_after(self, update: int) -> None:
        """Drop the checkpoints after ``update`` (training forked from there); later adds continue
        from the newest one kept."""
        i = bisect.bisect_right(self._updates, operator.index(update))
        if i == len(self._updates):
            return
        for _, _, size in self._entries[i:]:
            self._nbytes -= size
        del self._updates[i:], self._entries[i:]
        self._density = None    # the next thinning searches afresh

    def clear(self) -> None:
        self._updates.clear()
        self._entries.clear()
        self._nbytes = 0
        self._density = None

    # ------------------------------------------------------------------ thinning

    def _select(self, density: float) -> tuple[list[int], int]:
        """Indices kept by the rule at density M (oldest first) and their total bytes."""
        updates, entries = self._updates, self._entries
        last = len(updates) - 1
        newest = updates[last]
        kept = [last]
        total = entries[last][2]
        previous = newest
        for i in range(last - 1, 0, -1):
            u = updates[i]
            if (previous - u) * density >= newest - u:
                kept.append(i)
                total += entries[i][2]
                previous = u
        kept.append(0)
        total += entries[0][2]
        kept.reverse()
        return kept, total

    def _thin(self) -> None:
        budget = self.budget_bytes
        target = budget * _HEADROOM
        density = float(len(self._updates)) if self._density is None else self._density * _GROW
        chosen = within_budget = None
        while density >= 1.0:
            kept, total = self._select(density)
            if total <= target:
                chosen = kept, density
                break
            if within_budget is None and total <= budget:
                within_budget = kept, density
            density *= _SHRINK
        if chosen is None:
            chosen = within_budget if within_budget is not None else (self._select(0.0)[0], 0.0)
        kept, self._density = chosen
        if self._density == 0.0:
            self._density = None
        self._updates = [self._updates[i] for i in kept]
        self._entries = [self._entries[i] for i in kept]
        self._nbytes = sum(size for _, _, size in self._entries)
