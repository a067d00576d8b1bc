"""explorer.history.TrainingHistory: geometric growth, read-only views, truncation, validation and
min/max-per-column decimation (checked against a plain loop over the bins)."""

import time
import warnings
from types import SimpleNamespace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from explorer.history import TrainingHistory
from rnn.errors import RnnInputError
from rnn.training import Update


def upd(loss, grad_norm=1.0, clipped=False, cosine=None):
    return SimpleNamespace(loss=loss, grad_norm=grad_norm, clipped=clipped, cosine_to_full=cosine)


def history_of(loss, clipped=None, cosine=None):
    loss = np.asarray(loss, dtype=float)
    n = loss.size
    return TrainingHistory.from_arrays({
        "loss": loss, "grad_norm": loss * 2,
        "clipped": np.zeros(n, bool) if clipped is None else np.asarray(clipped, bool),
        "cosine": np.full(n, np.nan) if cosine is None else np.asarray(cosine, float)})


# ---------------------------------------------------------------------------- storage

def test_growth_past_capacity_keeps_every_value():
    h = TrainingHistory(capacity=4)
    for i in range(1000):
        h.append(upd(float(i), grad_norm=i + 0.5, clipped=i % 3 == 0, cosine=None if i % 2 else i / 1000))
    h.extend([upd(float(i), grad_norm=i + 0.5, clipped=i % 3 == 0, cosine=None if i % 2 else i / 1000)
              for i in range(1000, 2500)])
    i = np.arange(2500)
    assert len(h) == 2500 and h.capacity >= 2500
    np.testing.assert_array_equal(h.loss, i.astype(float))
    np.testing.assert_array_equal(h.grad_norm, i + 0.5)
    np.testing.assert_array_equal(h.clipped, i % 3 == 0)
    np.testing.assert_array_equal(h.cosine, np.where(i % 2, np.nan, i / 1000))
    assert h.loss.dtype == np.float64 and h.clipped.dtype == np.bool_


def test_append_takes_the_engines_update():
    h = TrainingHistory()
    h.append(Update(step=1, loss=0.5, grad_norm=3.0, clipped=True, finite=True, cosine_to_full=0.25,
                    error_to_full=0.1, record=None))
    h.append(Update(step=2, loss=0.4, grad_norm=2.0, clipped=False, finite=True, cosine_to_full=None,
                    error_to_full=None, record=None))
    assert list(h.loss) == [0.5, 0.4] and list(h.clipped) == [True, False]
    assert h.cosine[0] == 0.25 and np.isnan(h.cosine[1])
    assert h.loss[-1] == 0.4


def test_views_are_read_only_and_never_change():
    h = TrainingHistory(capacity=2)
    h.extend([upd(1.0), upd(2.0)])
    view = h.loss
    with pytest.raises(ValueError):
        view[0] = 5.0
    for name in ("loss", "grad_norm", "clipped", "cosine"):
        assert not getattr(h, name).flags.writeable
    h.append(upd(3.0))                       # grows: the old view keeps the old buffer
    h.truncate(1)
    h.extend([upd(7.0), upd(8.0)])           # writes where the view's entries were
    assert list(view) == [1.0, 2.0]
    assert list(h.loss) == [1.0, 7.0, 8.0]


def test_memory_of_a_million_appends():
    h = TrainingHistory()
    u = upd(1.0, 2.0, True, None)
    for _ in range(1_000_000):
        h.append(u)
    assert len(h) == 1_000_000
    arrays = (h._arrays[name] for name in ("loss", "grad_norm", "clipped", "cosine"))
    total = sum(a.nbytes for a in arrays)
    assert total == h.nbytes
    assert total < 40e6                      # 25 bytes per entry, capacity < 2·n
    assert h.capacity < 2_000_000


def test_truncate_keeps_the_first_entries_and_appends_continue():
    h = TrainingHistory(capacity=8)
    h.extend([upd(float(i), clipped=bool(i % 2), cosine=i / 10) for i in range(100)])
    h.truncate(200)                          # more than held: no change
    assert len(h) == 100
    h.truncate(40)
    assert len(h) == 40
    np.testing.assert_array_equal(h.loss, np.arange(40.0))
    np.testing.assert_array_equal(h.cosine, np.arange(40) / 10)
    h.append(upd(-1.0, cosine=None))
    assert len(h) == 41 and h.loss[-1] == -1.0 and np.isnan(h.cosine[-1])
    h.truncate(0)
    assert len(h) == 0 and h.loss.shape == (0,)
    with pytest.raises(ValueError):
        h.truncate(-1)


def test_copy_and_arrays_are_independent():
    h = history_of([1.0, 2.0, 3.0], clipped=[True, False, True], cosine=[0.5, np.nan, -0.5])
    c = h.copy()
    c.append(upd(4.0))
    c.truncate(1)
    assert len(h) == 3 and list(h.loss) == [1.0, 2.0, 3.0]
    d = h.to_arrays()
    assert set(d) == {"loss", "grad_norm", "clipped", "cosine"}
    d["loss"][0] = 99.0
    assert h.loss[0] == 1.0
    back = TrainingHistory.from_arrays(h.to_arrays())
    for name, a in h.to_arrays().items():
        np.testing.assert_array_equal(getattr(back, name), a)
        assert getattr(back, name).dtype == a.dtype


@pytest.mark.parametrize("change", [
    {"loss": np.zeros(4)},                                # lengths differ
    {"cosine": np.zeros((3, 1))},                         # not 1-D
    {"loss": np.zeros(3, dtype=np.int64)},                # not floating point
    {"grad_norm": np.array(["a", "b", "c"])},
    {"clipped": np.zeros(3)},                             # not bool
    {"clipped": np.zeros(3, dtype=np.int8)},
    {"extra": np.zeros(3)},                               # unknown entry
])
def test_from_arrays_rejects_malformed_input(change):
    good = {"loss": np.zeros(3), "grad_norm": np.zeros(3), "clipped": np.zeros(3, bool),
            "cosine": np.zeros(3, np.float32)}
    TrainingHistory.from_arrays(good)
    with pytest.raises(RnnInputError):
        TrainingHistory.from_arrays({**good, **change})


def test_from_arrays_rejects_missing_columns():
    with pytest.raises(RnnInputError):
        TrainingHistory.from_arrays({"loss": np.zeros(3), "grad_norm": np.zeros(3),
                                     "clipped": np.zeros(3, bool)})
    with pytest.raises(RnnInputError):
        TrainingHistory.from_arrays([1, 2, 3])


# ---------------------------------------------------------------------------- decimation

def oracle_bins(start, stop, columns):
    """Bin edges of `columns` near-equal bins (the longer ones first), by a plain loop."""
    length = stop - start
    width, longer = divmod(length, columns)
    edges = [start]
    for i in range(columns):
        edges.append(edges[-1] + width + (1 if i < longer else 0))
    return edges


def check_envelope(h, name, start, stop, columns):
    raw = np.asarray(getattr(h, name), dtype=float)
    x, y = h.decimated(name, start, stop, columns)
    assert x.dtype == np.float64 and y.dtype == np.float64
    if stop - start <= 2 * columns:
        np.testing.assert_array_equal(x, np.arange(start, stop, dtype=float))
        np.testing.assert_array_equal(y, raw[start:stop])
        return
    edges = oracle_bins(start, stop, columns)
    assert x.shape == y.shape == (2 * columns,)
    for i in range(columns):
        a, b = edges[i], edges[i + 1]
        assert x[2 * i] == x[2 * i + 1] == a
        part = raw[a:b]
        finite = [v for v in part if not np.isnan(v)]
        if not finite:
            assert np.isnan(y[2 * i]) and np.isnan(y[2 * i + 1])
            continue
        lo, hi = min(finite), max(finite)
        at_lo = next(j for j, v in enumerate(part) if v == lo)
        at_hi = next(j for j, v in enumerate(part) if v == hi)
        expected = (lo, hi) if at_lo <= at_hi else (hi, lo)
        assert (y[2 * i], y[2 * i + 1]) == expected, (i, a, b)


@pytest.mark.parametrize("n, start, stop, columns", [
    (10_000, 0, 10_000, 100),        # divides evenly
    (10_007, 0, 10_007, 97),         # ragged: some bins one longer
    (5_000, 123, 4_321, 333),        # a sub-range
    (1_000, 0, 1_000, 499),          # just over 2·columns: bins of width 2 and 3
    (1_000, 0, 1_000, 500),          # exactly 2·columns: raw points
    (1_000, 10, 20, 3),
])
def test_decimation_envelope_matches_a_loop_over_bins(n, start, stop, columns):
    rng = np.random.default_rng(n + columns)
    loss = rng.normal(size=n)
    spikes = rng.choice(n, size=20, replace=False)
    loss[spikes] = rng.choice([-1, 1], size=20) * rng.uniform(50, 100, size=20)
    cosine = np.where(rng.random(n) < 0.3, np.nan, rng.uniform(-1, 1, n))
    cosine[start:start + 40] = np.nan                   # whole bins of NaN
    clipped = rng.random(n) < 0.05
    h = history_of(loss, clipped=clipped, cosine=cosine)
    with warnings.catch_warnings():
        warnings.simplefilter("error")                  # no "All-NaN slice" warnings
        for name in ("loss", "grad_norm", "clipped", "cosine"):
            check_envelope(h, name, start, stop, columns)


@settings(max_examples=200, deadline=None)
@given(n=st.integers(1, 3000), columns=st.integers(1, 400), data=st.data())
def test_a_single_spike_survives_decimation(n, columns, data):
    where = data.draw(st.integers(0, n - 1))
    height = data.draw(st.sampled_from([1e6, -1e6, np.inf, 3.0]))
    loss = np.zeros(n)
    loss[where] = height
    h = history_of(loss)
    x, y = h.decimated("loss", 0, n, columns)
    assert x.size <= max(2 * columns, n)
    hit = np.flatnonzero(y == height)
    assert hit.size == 1
    left = x[hit[0]]
    later = x[x > left]
    assert left <= where < (later.min() if later.size else n)


def test_decimation_nan_handling():
    loss = np.arange(100.0)
    loss[10:20] = np.nan            # bin 1: all NaN
    loss[25] = np.nan               # bin 2: one NaN, ignored
    h = history_of(loss)
    x, y = h.decimated("loss", 0, 100, 10)
    assert list(x[:6]) == [0, 0, 10, 10, 20, 20]
    assert list(y[:2]) == [0, 9]
    assert np.isnan(y[2]) and np.isnan(y[3])
    assert list(y[4:6]) == [20, 29]
    all_nan = history_of(np.full(1000, np.nan))
    x, y = all_nan.decimated("loss", 0, 1000, 7)
    assert x.size == 14 and np.isnan(y).all()
    x, y = history_of([1.0, np.nan, 3.0]).decimated("loss", 0, 3, 10)   # raw: NaN kept
    assert x.tolist() == [0, 1, 2] and np.isnan(y[1])


def test_decimation_orders_each_bins_pair_as_it_occurs():
    down = history_of(np.arange(1000.0)[::-1])
    _, y = down.decimated("loss", 0, 1000, 10)
    assert all(y[2 * i] > y[2 * i + 1] for i in range(10))        # max first, then min
    up = history_of(np.arange(1000.0))
    _, y = up.decimated("loss", 0, 1000, 10)
    assert all(y[2 * i] < y[2 * i + 1] for i in range(10))


def test_decimation_clamps_the_range_and_checks_arguments():
    h = history_of(np.arange(50.0))
    x, y = h.decimated("loss", -10, 1000, 100)
    assert x.tolist() == list(range(50))
    x, y = h.decimated("loss", 30, 10, 100)
    assert x.size == y.size == 0
    assert h.decimated("loss", 0, 50, 1)[0].tolist() == [0, 0]
    assert TrainingHistory().decimated("cosine", 0, 10, 5)[0].size == 0
    with pytest.raises(ValueError):
        h.decimated("loss", 0, 50, 0)
    with pytest.raises(ValueError):
        h.decimated("nonsense", 0, 50, 10)


def test_decimating_a_million_points_is_fast():
    rng = np.random.default_rng(0)
    n = 1_000_000
    h = history_of(rng.random(n), cosine=np.where(rng.random(n) < 0.5, np.nan, rng.random(n)))
    for name in ("loss", "cosine"):
        best = float("inf")
        for _ in range(5):
            t = time.perf_counter()
            h.decimated(name, 0, n, 1920)
            best = min(best, time.perf_counter() - t)
        assert best < 0.1, f"{name}: {best * 1e3:.1f} ms"   # ~1–3 ms measured; generous for CI


def test_running_counts_of_clips_and_comparisons_follow_every_change():
    from types import SimpleNamespace as U
    h = TrainingHistory(capacity=2)
    h.append(U(loss=1.0, grad_norm=1.0, clipped=True, cosine_to_full=None))
    h.extend([U(loss=1.0, grad_norm=1.0, clipped=i % 2 == 0, cosine_to_full=0.5 if i % 3 else None)
              for i in range(10)])
    assert h.clipped_count == int(np.count_nonzero(h.clipped)) == 6
    assert h.compared_count == int(np.count_nonzero(np.isfinite(h.cosine))) == 6
    h.truncate(4)
    assert (h.clipped_count, h.compared_count) == (int(h.clipped.sum()), int(np.isfinite(h.cosine).sum()))
    copy = TrainingHistory.from_arrays(h.to_arrays())
    assert (copy.clipped_count, copy.compared_count) == (h.clipped_count, h.compared_count)


@settings(max_examples=60, deadline=None)
@given(values=st.lists(st.one_of(st.floats(0.0, 1e6), st.just(float("nan")), st.just(float("inf"))),
                       min_size=1, max_size=300),
       window=st.integers(1, 40), columns=st.integers(1, 50), cut=st.integers(0, 300))
def test_the_smoothed_loss_is_the_moving_average_of_the_finite_losses(values, window, columns, cut):
    """At each point drawn: the mean of the finite losses among the `window` updates ending there,
    after appends, extends and a truncation alike."""
    history = TrainingHistory(capacity=4)
    updates = [upd(v) for v in values]
    history.extend(updates[:len(updates) // 2])
    for update in updates[len(updates) // 2:]:
        history.append(update)
    history.truncate(cut)
    kept = np.array(values[:min(cut, len(values))], dtype=float)
    x, y = history.smoothed_loss(0, len(history), columns, window)
    assert len(x) == len(y) and (len(kept) == 0 or x[-1] == len(kept) - 1)
    for at, mean in zip(x.astype(int), y):
        part = kept[max(0, at + 1 - window):at + 1]
        part = part[np.isfinite(part)]
        if part.size:
            assert mean == pytest.approx(part.mean(), rel=1e-9, abs=1e-9)
        else:
            assert np.isnan(mean)


def test_the_history_knows_where_training_overflowed_and_forgets_it_when_cut():
    history = TrainingHistory(capacity=2)
    history.extend([upd(0.5), upd(0.4), upd(float("inf"))])
    history.append(upd(0.3, grad_norm=float("nan")))
    assert history.nonfinite == [2, 3]
    history.truncate(3)
    assert history.nonfinite == [2]
    assert TrainingHistory.from_arrays(history.to_arrays()).nonfinite == [2]
