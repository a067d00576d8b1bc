"""The training history: one entry per update, in NumPy arrays that grow geometrically.

Four columns, one entry per training update (:class:`rnn.training.Update`):

- ``loss``       float64, the batch loss
- ``grad_norm``  float64, ‖g‖ before clipping
- ``clipped``    bool, whether clipping changed the gradient
- ``cosine``     float64, cos(g̃, g) of the truncated to the full gradient; NaN when not compared

25 bytes per update; capacity grows by half when full, so appends are O(1) amortised and a run of n
updates holds at most 1.5·n entries (at most 38 MB for a million updates).

:meth:`TrainingHistory.decimated` gives a curve to draw at a given number of pixel columns: the
min and the max of each column's updates, so the drawn envelope is the raw curve's envelope.

No Qt here: the window's state and views use it, and the tests run it without a display.
"""

import operator

import numpy as np

from rnn.errors import RnnInputError

COLUMNS = ("loss", "grad_norm", "clipped", "cosine")
_DTYPES = {"loss": np.float64, "grad_norm": np.float64, "clipped": np.bool_, "cosine": np.float64}
_INITIAL_CAPACITY = 1024


def _read_only(view: np.ndarray) -> np.ndarray:
    view.flags.writeable = False
    return view


class TrainingHistory:
    """One entry per update: loss, ‖g‖ before clipping, whether it clipped, cos(g̃, g) (NaN: not
    compared).

    The properties return read-only views of the filled part. A view never changes after it was
    taken: appends write past it, and :meth:`truncate` moves the kept entries to new arrays.
    """

    def __init__(self, capacity: int = _INITIAL_CAPACITY) -> None:
        capacity = operator.index(capacity)
        if capacity < 1:
            raise ValueError(f"capacity must be at least 1, got {capacity}")
        self._n = 0
        self._arrays = {name: np.empty(capacity, dtype=_DTYPES[name]) for name in COLUMNS}
        # running sums of the finite losses and their count, [i] over the first i updates: a moving
        # average is then two subtractions per point drawn, whatever the history's length
        self._loss_sum = np.zeros(capacity + 1)
        self._loss_finite = np.zeros(capacity + 1, dtype=np.int64)
        self.nonfinite = []          # indices of the updates whose loss or ‖g‖ was NaN or infinite
        self.clipped_count = 0       # updates whose gradient was clipped
        self.compared_count = 0      # updates with a cos(g̃, g) (a truncated run compared to full)

    # ------------------------------------------------------------------ size and views

    def __len__(self) -> int:
        return self._n

    def __repr__(self) -> str:
        return f"TrainingHistory({self._n} updates, capacity {self.capacity})"

    @property
    def capacity(self) -> int:
        """Entries the arrays can hold before they grow."""
        return self._arrays["loss"].shape[0]

    @property
    def nbytes(self) -> int:
        """Bytes held by the four arrays (their whole capacity)."""
        return sum(a.nbytes for a in self._arrays.values())

    @property
    def loss(self) -> np.ndarray:
        return _read_only(self._arrays["loss"][:self._n])

    @property
    def grad_norm(self) -> np.ndarray:
        return _read_only(self._arrays["grad_norm"][:self._n])

    @property
    def clipped(self) -> np.ndarray:
        return _read_only(self._arrays["clipped"][:self._n])

    @property
    def cosine(self) -> np.ndarray:
        return _read_only(self._arrays["cosine"][:self._n])

    def column(self, name: str) -> np.ndarray:
        """The read-only view of one column by name (one of ``COLUMNS``)."""
        return _read_only(self._column(name)[:self._n])

    def _column(self, name: str) -> np.ndarray:
        try:
            return self._arrays[name]
        except KeyError:
            raise ValueError(f"no history column {name!r}; the columns are {', '.join(COLUMNS)}") from None

    # ------------------------------------------------------------------ growing and shrinking

    def _reserve(self, needed: int) -> None:
        capacity = self.capacity
        if needed <= capacity:
            return
        while capacity < needed:
            capacity += max(1, capacity // 2)     # by half: at most 1.5·n held, still O(1) amortised
        for name, old in self._arrays.items():
            new = np.empty(capacity, dtype=old.dtype)
            new[:self._n] = old[:self._n]
            self._arrays[name] = new
        self._grow_running_sums(capacity)

    def _grow_running_sums(self, capacity: int) -> None:
        for name in ("_loss_sum", "_loss_finite"):
            old = getattr(self, name)
            new = np.zeros(capacity + 1, dtype=old.dtype)
            keep = min(old.shape[0], self._n + 1)
            new[:keep] = old[:keep]
            setattr(self, name, new)

    def append(self, update) -> None:
        """Add one update (anything with ``.loss``, ``.grad_norm``, ``.clipped``, ``.cosine_to_full``)."""
        i = self._n
        self._reserve(i + 1)
        a = self._arrays
        a["loss"][i] = update.loss
        a["grad_norm"][i] = update.grad_norm
        a["clipped"][i] = bool(update.clipped)
        cosine = update.cosine_to_full
        a["cosine"][i] = np.nan if cosine is None else cosine
        self._count(i, i + 1)
        self._n = i + 1

    def extend(self, updates) -> None:
        """Add several updates in order (one reservation, one array write per column)."""
        updates = list(updates)
        k = len(updates)
        if not k:
            return
        i = self._n
        self._reserve(i + k)
        a = self._arrays
        a["loss"][i:i + k] = np.fromiter((u.loss for u in updates), np.float64, count=k)
        a["grad_norm"][i:i + k] = np.fromiter((u.grad_norm for u in updates), np.float64, count=k)
        a["clipped"][i:i + k] = np.fromiter((bool(u.clipped) for u in updates), np.bool_, count=k)
        a["cosine"][i:i + k] = np.fromiter(
            (np.nan if u.cosine_to_full is None else u.cosine_to_full for u in updates), np.float64, count=k)
        self._count(i, i + k)
        self._n = i + k

    def _count(self, start: int, stop: int) -> None:
        """Add entries [start, stop) to the running counts (so a view never scans the history)."""
        self.clipped_count += int(np.count_nonzero(self._arrays["clipped"][start:stop]))
        self.compared_count += int(np.count_nonzero(np.isfinite(self._arrays["cosine"][start:stop])))
        loss = self._arrays["loss"][start:stop]
        finite = np.isfinite(loss)
        bad = ~finite | ~np.isfinite(self._arrays["grad_norm"][start:stop])
        if bad.any():
            self.nonfinite.extend(int(i) for i in start + np.flatnonzero(bad))
        self._loss_sum[start + 1:stop + 1] = self._loss_sum[start] + np.cumsum(np.where(finite, loss, 0.0))
        self._loss_finite[start + 1:stop + 1] = self._loss_finite[start] + np.cumsum(finite)

    def truncate(self, n: int) -> None:
        """Keep the first ``n`` entries (training forked from update ``n``); ``n ≥ len``: no change.

        The kept entries move to new arrays, so views taken earlier keep their values."""
        n = operator.index(n)
        if n < 0:
            raise ValueError(f"cannot keep a negative number of entries ({n})")
        if n >= self._n:
            return
        capacity = _INITIAL_CAPACITY
        while capacity < n:
            capacity *= 2
        for name, old in self._arrays.items():
            new = np.empty(capacity, dtype=old.dtype)
            new[:n] = old[:n]
            self._arrays[name] = new
        self._loss_sum, self._loss_finite = np.zeros(capacity + 1), np.zeros(capacity + 1, dtype=np.int64)
        self._n = n
        self.clipped_count = self.compared_count = 0
        self.nonfinite = []
        self._count(0, n)

    def clear(self) -> None:
        self.truncate(0)

    # ------------------------------------------------------------------ copies and arrays

    def copy(self) -> "TrainingHistory":
        return TrainingHistory.from_arrays(self.to_arrays())

    def to_arrays(self) -> dict[str, np.ndarray]:
        """``{"loss", "grad_norm", "clipped", "cosine"}``: copies of the filled part."""
        return {name: a[:self._n].copy() for name, a in self._arrays.items()}

    @classmethod
    def from_arrays(cls, d) -> "TrainingHistory":
        """A history from four equal-length 1-D arrays (copied): float ``loss``, ``grad_norm``,
        ``cosine`` and bool ``clipped``. Raises :class:`RnnInputError` for anything else."""
        if not hasattr(d, "keys"):
            raise RnnInputError("training history: expected a mapping of arrays")
        missing = [name for name in COLUMNS if name not in d]
        if missing:
            raise RnnInputError(f"training history: missing {', '.join(missing)}")
        unknown = sorted(str(k) for k in d.keys() if k not in COLUMNS)
        if unknown:
            raise RnnInputError(f"training history: unknown entries {', '.join(unknown)}")
        arrays = {}
        for name in COLUMNS:
            a = np.asarray(d[name])
            if a.ndim != 1:
                raise RnnInputError(f"training history: {name} must be 1-D, got shape {a.shape}")
            if name == "clipped":
                if a.dtype != np.bool_:
                    raise RnnInputError(f"training history: clipped must be bool, got {a.dtype}")
            elif not np.issubdtype(a.dtype, np.floating):
                raise RnnInputError(f"training history: {name} must be floating point, got {a.dtype}")
            arrays[name] = a
        lengths = {name: a.shape[0] for name, a in arrays.items()}
        if len(set(lengths.values())) > 1:
            raise RnnInputError("training history: columns differ in length ("
                                + ", ".join(f"{k} {v}" for k, v in lengths.items()) + ")")
        n = lengths["loss"]
        history = cls(max(_INITIAL_CAPACITY, n))
        for name, a in arrays.items():
            history._arrays[name][:n] = a
        history._count(0, n)
        history._n = n
        return history

    # ------------------------------------------------------------------ drawing

    def _span(self, start, stop, columns) -> tuple[int, int, int]:
        """[start, stop) clamped to the history, and the number of columns (≥ 1) to draw it at."""
        columns = operator.index(columns)
        if columns < 1:
            raise ValueError(f"columns must be at least 1, got {columns}")
        start = min(max(operator.index(start), 0), self._n)
        stop = min(max(operator.index(stop), start), self._n)
        return start, stop, columns

    def smoothed_loss(self, start: int, stop: int, columns: int, window: int) -> tuple[np.ndarray, np.ndarray]:
        """``(x, y)``: the moving average of the loss over the ``window`` updates ending at each
        point (NaN and Inf left out; NaN where the window holds no finite loss), at every update of
        [start, stop) or, beyond 2·columns updates, at the last update of each of ``columns`` bins
        (the bins of :meth:`decimated`). O(points): it reads the running sums, not the history."""
        window = operator.index(window)
        if window < 1:
            raise ValueError(f"window must be at least 1, got {window}")
        start, stop, columns = self._span(start, stop, columns)
        if stop - start <= 2 * columns:
            at = np.arange(start, stop)
        else:                              # each bin's last update: the next bin's first, less one
            at = np.append(_bin_starts(start, stop, columns)[1:], stop) - 1
        ends, begins = at + 1, np.maximum(at + 1 - window, 0)
        count = self._loss_finite[ends] - self._loss_finite[begins]
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = (self._loss_sum[ends] - self._loss_sum[begins]) / count
        mean[count == 0] = np.nan
        return at.astype(np.float64), mean

    def decimated(self, name: str, start: int, stop: int, columns: int) -> tuple[np.ndarray, np.ndarray]:
        """``(x, y)`` float64 arrays to draw column ``name`` over updates [start, stop) at
        ``columns`` pixel columns (start and stop are clamped to [0, len]).

        Up to 2·columns updates: the raw points, x the update index. More: the range is split into
        exactly ``columns`` bins of ⌈L/columns⌉ or ⌊L/columns⌋ updates (the longer ones first),
        and each bin gives two points, both at x = the bin's first update: its min and its max,
        in the order they occur in the bin, NaN ignored (an all-NaN bin gives NaN, NaN). So the
        polyline's envelope equals the raw curve's at that resolution; a lone spike survives.
        Vectorised: O(stop − start), about a millisecond per million updates.
        """
        data = self._column(name)
        start, stop, columns = self._span(start, stop, columns)
        length = stop - start
        if length <= 2 * columns:
            return np.arange(start, stop, dtype=np.float64), data[start:stop].astype(np.float64)
        y = data[start:stop]
        if y.dtype != np.float64:
            y = y.astype(np.float64)
        width, longer = divmod(length, columns)   # `longer` bins of width+1, then width
        split = longer * (width + 1)
        blocks = [y[:split].reshape(longer, width + 1), y[split:].reshape(columns - longer, width)]
        first = np.empty(columns)
        second = np.empty(columns)
        row = 0
        for block in blocks:
            rows = block.shape[0]
            if not rows:
                continue
            at_min = block.argmin(axis=1)     # NaN propagates: a row holding NaN gives NaN here
            at_max = block.argmax(axis=1)
            r = np.arange(rows)
            low = block[r, at_min]
            high = block[r, at_max]
            bad = np.flatnonzero(np.isnan(low) | np.isnan(high))
            if bad.size:                      # rows with NaN: the values ignoring NaN, and where
                sub = block if bad.size == rows else block[bad]   # (an all-NaN row: NaN, NaN)
                sub_low = np.fmin.reduce(sub, axis=1)
                sub_high = np.fmax.reduce(sub, axis=1)
                low[bad], high[bad] = sub_low, sub_high
                at_min[bad] = (sub == sub_low[:, None]).argmax(axis=1)   # (branch-free, unlike
                at_max[bad] = (sub == sub_high[:, None]).argmax(axis=1)  # np.where on a NaN mask)
            min_first = at_min <= at_max
            first[row:row + rows] = np.where(min_first, low, high)
            second[row:row + rows] = np.where(min_first, high, low)
            row += rows
        x = np.repeat(_bin_starts(start, stop, columns).astype(np.float64), 2)
        out = np.empty(2 * columns)
        out[0::2] = first
        out[1::2] = second
        return x, out


def _bin_starts(start: int, stop: int, columns: int) -> np.ndarray:
    """The first update of each of ``columns`` bins splitting [start, stop): ⌈L/columns⌉ updates
    in the first L mod columns bins, ⌊L/columns⌋ in the others."""
    width, longer = divmod(stop - start, columns)
    bins = np.arange(columns)
    return start + bins * width + np.minimum(bins, longer)
