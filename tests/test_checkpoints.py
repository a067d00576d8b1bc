"""explorer.checkpoints.CheckpointStore: bounded memory, the initial and newest weights always kept,
density decreasing with age, exact copies back, truncation for forking."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from explorer.checkpoints import CheckpointStore, estimate_nbytes


def params_at(u):
    return {"W_hh": np.full((3, 3), float(u)), "b": np.arange(3.0) + u}


PARAM_BYTES = sum(a.nbytes for a in params_at(0).values())


def density(updates, newest, low, high):
    """Checkpoints per update among ages [low, high)."""
    age = newest - np.asarray(updates)
    return np.count_nonzero((age >= low) & (age < high)) / (high - low)


@pytest.fixture(scope="module")
def long_run():
    store = CheckpointStore(budget_bytes=200 * PARAM_BYTES)
    over = 0
    params = params_at(0)
    for u in range(100_000):
        params["W_hh"][0, 0] = u           # the same dict, changed in place like the trainer's
        params["b"][:] = u
        store.add(u, params, None)
        over += store.nbytes > store.budget_bytes
    return store, over


def test_long_run_stays_within_budget_and_keeps_both_ends(long_run):
    store, over = long_run
    assert over == 0
    assert store.nbytes <= store.budget_bytes
    assert store.nbytes == len(store) * PARAM_BYTES
    ups = store.updates()
    assert ups[0] == 0 and ups[-1] == 99_999
    assert ups == sorted(set(ups))
    assert len(store) >= 50                  # the budget is used, not squandered


def test_long_run_density_decreases_with_age(long_run):
    store, _ = long_run
    ups = np.array(store.updates())
    newest = ups[-1]
    assert np.count_nonzero(ups > newest - 1000) > np.count_nonzero((ups >= 10_000) & (ups < 11_000))
    recent = density(ups, newest, 1, 1024)
    middle = density(ups, newest, 2 ** 13, 2 ** 14)
    old = density(ups, newest, 2 ** 16, newest)
    assert recent > middle > old > 0


def test_long_run_returns_what_was_added(long_run):
    store, _ = long_run
    for u in (0, 1, 5_000, 50_000, 99_998, 99_999, 10 ** 9):
        got, params, state = store.nearest_at_or_before(u)
        assert got == max(k for k in store.updates() if k <= u)
        assert params["W_hh"][0, 0] == got and params["W_hh"][1, 1] == 0.0
        np.testing.assert_array_equal(params["b"], np.full(3, float(got)))


def test_thinning_is_amortised(monkeypatch):
    scanned = []
    original = CheckpointStore._select

    def counting(self, density):
        scanned.append(len(self))
        return original(self, density)

    monkeypatch.setattr(CheckpointStore, "_select", counting)
    store = CheckpointStore(budget_bytes=100 * PARAM_BYTES)
    adds = 20_000
    for u in range(adds):
        store.add(u, params_at(u), None)
    assert sum(scanned) < 50 * adds          # O(1) per add, not O(len) on every add
    assert len(scanned) < adds / 5


def test_exact_copies_in_and_out():
    store = CheckpointStore(budget_bytes=10 ** 6)
    params = {"W": np.arange(6.0).reshape(2, 3), "b": np.array([1.5, -2.5], dtype=np.float32)}
    state = {"W": {"exp_avg": np.ones((2, 3)), "step": 7}, "b": {"exp_avg": np.zeros(2), "step": 7}}
    store.add(0, params, state)
    params["W"][:] = -1                      # the caller's arrays change afterwards
    params["b"][0] = 99
    u, got, got_state = store.nearest_at_or_before(0)
    assert u == 0
    np.testing.assert_array_equal(got["W"], np.arange(6.0).reshape(2, 3))
    assert got["b"].dtype == np.float32 and got["b"].tolist() == [1.5, -2.5]
    assert got_state["W"]["step"] == 7
    np.testing.assert_array_equal(got_state["W"]["exp_avg"], np.ones((2, 3)))
    got["W"][:] = 42                         # nor do the returned copies write back
    got_state["W"]["exp_avg"][:] = 42
    _, again, again_state = store.nearest_at_or_before(0)
    np.testing.assert_array_equal(again["W"], np.arange(6.0).reshape(2, 3))
    np.testing.assert_array_equal(again_state["W"]["exp_avg"], np.ones((2, 3)))


def test_nearest_at_or_before():
    store = CheckpointStore(budget_bytes=10 ** 6)
    for u in (0, 10, 20, 35):
        store.add(u, params_at(u), {"u": u})
    assert [store.nearest_at_or_before(q)[0] for q in (0, 9, 10, 11, 34, 35, 1000)] == \
        [0, 0, 10, 10, 20, 35, 35]
    assert store.nearest_at_or_before(11)[2] == {"u": 10}
    with pytest.raises(KeyError):
        store.nearest_at_or_before(-1)
    with pytest.raises(KeyError):
        CheckpointStore(1000).nearest_at_or_before(5)


def test_truncate_after_then_add_continues():
    store = CheckpointStore(budget_bytes=10 ** 6)
    for u in range(0, 100, 10):
        store.add(u, params_at(u), None)
    with pytest.raises(ValueError):
        store.add(90, params_at(90), None)   # not later than the newest
    with pytest.raises(ValueError):
        store.add(50, params_at(50), None)
    store.truncate_after(45)
    assert store.updates() == [0, 10, 20, 30, 40]
    assert store.nbytes == 5 * PARAM_BYTES
    store.add(41, params_at(-41), None)      # the forked run's own weights
    store.add(50, params_at(-50), None)
    assert store.updates() == [0, 10, 20, 30, 40, 41, 50]
    assert store.nearest_at_or_before(60)[1]["W_hh"][0, 0] == -50
    store.truncate_after(1000)               # nothing after: no change
    assert len(store) == 7
    store.truncate_after(-1)
    assert len(store) == 0 and store.nbytes == 0
    store.add(0, params_at(0), None)
    assert store.updates() == [0]


def test_truncated_long_run_keeps_thinning():
    store = CheckpointStore(budget_bytes=50 * PARAM_BYTES)
    for u in range(5000):
        store.add(u, params_at(u), None)
    store.truncate_after(2500)
    for u in range(2501, 8000):
        store.add(u, params_at(u), None)
        assert store.nbytes <= store.budget_bytes
    ups = store.updates()
    assert ups[0] == 0 and ups[-1] == 7999


def test_sizes_given_or_estimated():
    assert estimate_nbytes({"a": np.zeros(4), "b": [np.zeros(2, np.float32), (np.zeros(1), 3)],
                            "c": "text"}) == 32 + 8 + 8
    store = CheckpointStore(budget_bytes=10 ** 6)
    store.add(0, params_at(0), {"m": {"W": np.zeros(10)}, "step": 1})
    assert store.nbytes == PARAM_BYTES + 80
    store.add(1, params_at(1), object(), nbytes=1000)
    assert store.nbytes == 2 * PARAM_BYTES + 1080


def test_budget_too_small_for_two_keeps_the_ends():
    store = CheckpointStore(budget_bytes=PARAM_BYTES)
    for u in range(50):
        store.add(u, params_at(u), None)
        assert store.updates()[0] == 0 and store.updates()[-1] == u
        assert len(store) <= 2


def test_rejects_bad_arguments():
    with pytest.raises(ValueError):
        CheckpointStore(0)
    with pytest.raises(ValueError):
        CheckpointStore(100).add(-1, {}, None)


@settings(max_examples=60, deadline=None)
@given(sizes=st.lists(st.integers(1, 50), min_size=1, max_size=300),
       gaps=st.lists(st.integers(1, 20), min_size=300, max_size=300),
       budget=st.integers(1, 2000))
def test_invariants_for_any_sizes_and_spacing(sizes, gaps, budget):
    store = CheckpointStore(budget_bytes=budget)
    added = {}
    u = 0
    for i, size in enumerate(sizes):
        store.add(u, {"x": np.array([float(u)])}, None, nbytes=size)
        added[u] = size + 8
        ups = store.updates()
        assert ups[0] == 0 and ups[-1] == u
        assert ups == sorted(ups) and set(ups) <= set(added)
        assert store.nbytes == sum(added[k] for k in ups)
        if added[0] + added[u] <= budget:
            assert store.nbytes <= budget
        probe = max(0, u - gaps[i] // 2)
        got, params, _ = store.nearest_at_or_before(probe)
        assert got == max(k for k in ups if k <= probe)
        assert params["x"][0] == got
        u += gaps[i]
