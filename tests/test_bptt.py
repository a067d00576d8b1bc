"""The BPTT stepper, truncation semantics, randomized truncation, training runs and input errors."""

import itertools

import numpy as np
import pytest

from rnn import BPTT, NetworkSpec, RnnInputError, Truncation, init_params, run_bptt
from rnn.diagnostics import compare_gradients
from rnn.optim import SGD, Adam
from rnn.tasks import get_task
from rnn.training import train

CELLS = [("rnn", "tanh"), ("rnn", "relu"), ("lstm", "tanh"), ("gru", "tanh")]
TRUNCATIONS = {
    "full": Truncation(),
    "tbptt22": Truncation("tbptt", 2, 2),
    "tbptt13": Truncation("tbptt", 1, 3),
    "tbptt23": Truncation("tbptt", 2, 3),
    "tbptt35": Truncation("tbptt", 3, 5),
    "random": Truncation("random", 0, 2.5),
}
FORWARD_ARRAYS = ["pre", "gates", "h", "c", "extra"]          # (L, T, ...)
FORWARD_OUTPUTS = ["yhat", "loss_t", "dyhat"]                 # (T, ...)
BACKWARD_ARRAYS = ["dh", "dc", "d_ih", "d_hh"]                # (L, T, ...)
ALL_ARRAYS = FORWARD_ARRAYS + FORWARD_OUTPUTS + BACKWARD_ARRAYS + ["dh0", "dc0", "visits",
                                                                    "sensitivity"]


def make(cell="rnn", activation="tanh", layers=2, T=7, B=2, I=2, H=3, O=2, loss="mse", seed=0,
         scheme="pytorch"):
    spec = NetworkSpec(cell=cell, activation=activation, input_size=I, hidden_size=H,
                       output_size=O, num_layers=layers)
    params = init_params(spec, scheme, seed=seed)
    rng = np.random.default_rng(seed + 1)
    inputs = rng.standard_normal((T, B, I))
    targets = rng.standard_normal((T, B, O)) if loss == "mse" else rng.integers(0, O, (T, B))
    h0 = 0.5 * rng.standard_normal((layers, B, H))
    c0 = 0.5 * rng.standard_normal((layers, B, H)) if cell == "lstm" else None
    return spec, params, inputs, targets, dict(loss=loss, h0=h0, c0=c0)


def expected_plan(truncation, T):
    """The backward visits (segment, t), written from the definition of TBPTT(k1, k2):
    the latest segment first, each swept from its last step back to its window's start."""
    if truncation.mode != "tbptt":
        return [(0, t) for t in range(T - 1, -1, -1)]
    k1, k2 = truncation.k1, truncation.k2
    plan = []
    for i, s in enumerate(range(0, T, k1)):
        e = min(T, s + k1)
        plan = [(i, t) for t in range(e - 1, max(0, s - (k2 - k1)) - 1, -1)] + plan
    return plan


def assert_same_recordings(a, b):
    for name in ALL_ARRAYS:
        x, y = getattr(a, name), getattr(b, name)
        assert (x is None) == (y is None), name
        if x is not None:
            assert np.array_equal(x, y), name
    ga, gb = a.gradients(), b.gradients()
    assert ga.keys() == gb.keys()
    for name in ga:
        assert np.array_equal(ga[name], gb[name]), name


def time_slice(record, name, sl):
    """Steps ``sl`` of an array indexed [layer, t, ...] or [t, ...]."""
    array = getattr(record, name)
    return array[sl] if name in FORWARD_OUTPUTS else array[:, sl]


# ------------------------------------------------------------------------------ the stepper

@pytest.mark.parametrize("truncation", TRUNCATIONS)
@pytest.mark.parametrize("cell", CELLS, ids=lambda c: "-".join(c))
def test_stepping_by_hand_equals_run_bptt(cell, truncation):
    spec, params, inputs, targets, options = make(*cell)
    trunc = TRUNCATIONS[truncation]
    final = run_bptt(spec, params, inputs, targets, truncation=trunc, seed=3, **options)
    stepper = BPTT(spec, params, inputs, targets, truncation=trunc, seed=3, **options)
    r = stepper.record
    T = r.seq_len
    with pytest.raises(RuntimeError):
        stepper.step_backward()          # the forward pass comes first

    for k in range(T):
        assert stepper.forward_done == k and not stepper.forward_complete
        assert stepper.step_forward() == k
        for name in FORWARD_ARRAYS + FORWARD_OUTPUTS:
            if getattr(r, name) is None:
                continue
            done = slice(0, k + 1)
            assert np.array_equal(time_slice(r, name, done), time_slice(final, name, done)), name
            assert not np.any(time_slice(r, name, slice(k + 1, None))), name
        for name in BACKWARD_ARRAYS + ["dh0", "visits"]:
            if getattr(r, name) is not None:
                assert not np.any(getattr(r, name)), name
        assert r.sensitivity is None
    assert stepper.forward_complete
    with pytest.raises(RuntimeError):
        stepper.step_forward()

    plan = expected_plan(trunc, T)
    visits = np.zeros(T, dtype=int)
    for n, visit in enumerate(plan):
        assert stepper.next_visit == visit and not stepper.backward_complete
        assert stepper.step_backward() == visit
        visits[visit[1]] += 1
        assert np.array_equal(r.visits, visits)
        if trunc.mode != "tbptt" or trunc.k1 == trunc.k2:  # one sweep back: steps t.. are final
            t = visit[1]
            for name in BACKWARD_ARRAYS:
                if getattr(r, name) is not None:
                    assert np.array_equal(time_slice(r, name, slice(t, None)),
                                          time_slice(final, name, slice(t, None))), name
                    assert not np.any(time_slice(r, name, slice(0, t))), name
        if n < len(plan) - 1:
            assert r.sensitivity is None
    assert stepper.backward_complete and stepper.done and stepper.next_visit is None
    with pytest.raises(RuntimeError):
        stepper.step_backward()
    assert_same_recordings(r, final)


@pytest.mark.parametrize("truncation", ["full", "tbptt23", "random"])
@pytest.mark.parametrize("cell", CELLS, ids=lambda c: "-".join(c))
@pytest.mark.parametrize("chunk", [2, 3, 5])
def test_stepping_in_chunks_equals_run_bptt(cell, truncation, chunk):
    """The window computes a pass in chunks of steps and visits; the numbers are the same."""
    spec, params, inputs, targets, options = make(*cell, T=8)
    trunc = TRUNCATIONS[truncation]
    final = run_bptt(spec, params, inputs, targets, truncation=trunc, seed=3, **options)
    stepper = BPTT(spec, params, inputs, targets, truncation=trunc, seed=3, **options)
    steps = []
    while not stepper.forward_complete:
        done = stepper.forward_done
        block = stepper.forward_steps(chunk)
        assert list(block) == list(range(done, min(8, done + chunk)))
        steps += block
    assert steps == list(range(8))
    with pytest.raises(RuntimeError):
        stepper.forward_steps(chunk)
    visits = []
    while not stepper.backward_complete:
        made = stepper.backward_steps(chunk)
        assert 1 <= len(made) <= chunk
        visits += made
    assert visits == stepper.plan
    with pytest.raises(RuntimeError):
        stepper.backward_steps(chunk)
    assert_same_recordings(stepper.record, final)


def test_finish_equals_run_bptt_and_sweeps_run_backwards():
    spec, params, inputs, targets, options = make("gru", layers=1, T=9)
    trunc = Truncation("tbptt", 2, 4)
    stepper = BPTT(spec, params, inputs, targets, truncation=trunc, **options)
    assert_same_recordings(stepper.finish(), run_bptt(spec, params, inputs, targets, truncation=trunc,
                                                      **options))
    # within each segment's sweep t goes down by one from the segment's last loss step
    for seg_index, sweep in itertools.groupby(stepper.plan, key=lambda v: v[0]):
        ts = [t for _, t in sweep]
        seg = stepper.segments[seg_index]
        assert ts == list(range(seg.loss_end - 1, seg.window_start - 1, -1))


# ------------------------------------------------------------------------------ truncation

@pytest.mark.parametrize("cell", CELLS, ids=lambda c: "-".join(c))
def test_tbptt_with_k_at_least_T_is_full_bptt(cell):
    T = 6
    spec, params, inputs, targets, options = make(*cell, T=T)
    full = run_bptt(spec, params, inputs, targets, **options)
    for trunc in (Truncation.every(T), Truncation.every(T + 3), Truncation("tbptt", T, T + 4)):
        assert_same_recordings(run_bptt(spec, params, inputs, targets, truncation=trunc, **options), full)
    # TBPTT(1, T): every loss term sees its whole history, so the gradient is the full one
    # (summed in another order)
    one = run_bptt(spec, params, inputs, targets, truncation=Truncation("tbptt", 1, T), **options)
    for name, g in full.gradients().items():
        np.testing.assert_allclose(one.gradients()[name], g, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("k1,k2", [(1, 1), (1, 3), (1, 4), (2, 2), (2, 3), (3, 5)])
@pytest.mark.parametrize("cell", [("rnn", "tanh"), ("lstm", "tanh"), ("gru", "tanh")],
                         ids=lambda c: c[0])
def test_each_loss_reaches_back_exactly_to_its_window(cell, k1, k2):
    """A single loss at step t, in segment [s, e), reaches h_j for exactly max(0, s−(k2−k1)) ≤ j ≤ t
    (k1 = 1: exactly k2 steps, t−k2+1 … t), in every layer, with the full-BPTT adjoints there."""
    T = 8
    spec, params, inputs, targets, options = make(*cell, T=T)
    trunc = Truncation("tbptt", k1, k2)
    rec = run_bptt(spec, params, inputs, targets, truncation=trunc, **options)
    expected_visits = [sum(1 for s in range(0, T, k1) for j in range(max(0, s - (k2 - k1)), min(T, s + k1))
                           if j == t) for t in range(T)]
    assert list(rec.visits) == expected_visits
    if k1 == 1:
        assert list(rec.visits) == [min(k2, T - t) for t in range(T)]
    for t in range(T):
        mask = np.zeros(T)
        mask[t] = 1.0
        s = (t // k1) * k1
        start = max(0, s - (k2 - k1))
        if k1 == 1:
            assert start == max(0, t - k2 + 1)
        cut = run_bptt(spec, params, inputs, targets, loss_at=mask, truncation=trunc, **options)
        full = run_bptt(spec, params, inputs, targets, loss_at=mask, **options)
        reached = np.any(cut.dh != 0, axis=(0, 2, 3))
        assert list(np.nonzero(reached)[0]) == list(range(start, t + 1))
        np.testing.assert_allclose(cut.dh[:, start:], full.dh[:, start:], rtol=1e-13, atol=0)
        assert np.any(cut.dh0 != 0) == (start == 0)


def test_seeded_random_truncation():
    spec, params, inputs, targets, options = make("lstm", T=12)
    trunc = Truncation("random", 0, 2)
    a = run_bptt(spec, params, inputs, targets, truncation=trunc, seed=5, **options)
    b = run_bptt(spec, params, inputs, targets, truncation=trunc, seed=5, **options)
    assert_same_recordings(a, b)
    c = run_bptt(spec, params, inputs, targets, truncation=trunc, seed=6, **options)
    def factors(seed):
        return BPTT(spec, params, inputs, targets, truncation=trunc, seed=seed, **options).carry_factors

    assert not np.array_equal(factors(5), factors(6))
    assert not np.array_equal(a.gradients()["weight_hh_l0"], c.gradients()["weight_hh_l0"])
    # the factors are 0 (a cut, probability 1/k) or 1/(1 − 1/k)
    assert set(np.unique(factors(5))) <= {0.0, 2.0}


def test_random_truncation_is_exactly_unbiased():
    """E[g̃] = g: average over every cut pattern of the carry factors, weighted by its probability."""
    T, k = 5, 2.5
    p = 1.0 / k
    spec, params, inputs, targets, options = make("gru", layers=2, T=T, loss="xent")
    trunc = Truncation("random", 0, k)
    full = run_bptt(spec, params, inputs, targets, **options)
    mean = {name: np.zeros_like(g) for name, g in full.gradients().items()}
    mean_dh0 = np.zeros_like(full.dh0)
    for cuts in itertools.product([False, True], repeat=T):
        stepper = BPTT(spec, params, inputs, targets, truncation=trunc, **options)
        stepper.carry_factors = np.where(cuts, 0.0, 1.0 / (1.0 - p))
        rec = stepper.finish()
        weight = np.prod([p if c else 1 - p for c in cuts])
        for name, g in rec.gradients().items():
            mean[name] += weight * g
        mean_dh0 += weight * rec.dh0
    for name, g in full.gradients().items():
        np.testing.assert_allclose(mean[name], g, rtol=1e-11, atol=1e-14)
    np.testing.assert_allclose(mean_dh0, full.dh0, rtol=1e-11, atol=1e-14)


def test_random_truncation_mean_approaches_the_full_gradient():
    spec, params, inputs, targets, options = make("rnn", layers=1, T=8, B=2, I=2, H=3, O=1,
                                                  scheme="orthogonal", seed=2)
    options.update(loss_at="last", with_sensitivity=False)
    full = run_bptt(spec, params, inputs, targets, **options).gradients()
    trunc = Truncation("random", 0, 2)
    total = {name: np.zeros_like(g) for name, g in full.items()}
    errors = {}
    for n in range(1, 2001):
        g = run_bptt(spec, params, inputs, targets, truncation=trunc, seed=n, **options).gradients()
        for name in total:
            total[name] += g[name]
        if n in (1, 20, 2000):
            mean = {k: v / n for k, v in total.items()}
            errors[n] = compare_gradients(mean, full).per_parameter["weight_hh_l0"][1]
    assert errors[1] > 0.1            # one draw is far off: the average has work to do
    assert errors[2000] < errors[20] < errors[1]
    assert errors[2000] < 0.1


def test_random_truncation_with_a_huge_mean_length_is_full_bptt():
    spec, params, inputs, targets, options = make("lstm", T=9)
    full = run_bptt(spec, params, inputs, targets, **options)
    rec = run_bptt(spec, params, inputs, targets, truncation=Truncation("random", 0, 1e12), seed=1, **options)
    comparison = compare_gradients(rec.gradients(), full.gradients())
    assert comparison.relative_error < 1e-10
    assert comparison.cosine == pytest.approx(1.0, abs=1e-12)
    np.testing.assert_allclose(rec.dh, full.dh, rtol=1e-10)


def test_compare_gradients():
    spec, params, inputs, targets, options = make("gru")
    g = run_bptt(spec, params, inputs, targets, **options).gradients()
    same = compare_gradients(g, {k: v.copy() for k, v in g.items()})
    assert same.cosine == pytest.approx(1.0, abs=1e-14) and same.relative_error == 0.0
    assert set(same.per_parameter) == set(g)
    for cosine, error in same.per_parameter.values():
        assert cosine == pytest.approx(1.0, abs=1e-14) and error == 0.0
    doubled = compare_gradients({k: 2 * v for k, v in g.items()}, g)
    assert doubled.cosine == pytest.approx(1.0, abs=1e-14)
    assert doubled.relative_error == pytest.approx(1.0, rel=1e-14)
    opposite = compare_gradients({k: -v for k, v in g.items()}, g)
    assert opposite.cosine == pytest.approx(-1.0, abs=1e-14)
    assert opposite.relative_error == pytest.approx(2.0, rel=1e-14)
    a = {"w": np.array([1.0, 0.0])}
    b = {"w": np.array([0.0, 3.0])}
    orthogonal = compare_gradients(a, b)
    assert orthogonal.cosine == 0.0
    assert orthogonal.relative_error == pytest.approx(np.sqrt(10) / 3)


# ------------------------------------------------------------------------------ training

def run_training(seed, truncation=Truncation("random", 0, 3), steps=6):
    task = get_task("sine")
    spec = NetworkSpec(cell="gru", input_size=task.input_size, hidden_size=4, output_size=task.output_size)
    params = init_params(spec, seed=0)
    updates = list(train(spec, params, task, Adam(lr=0.01), steps=steps, seq_len=8, batch_size=3,
                         truncation=truncation, seed=seed, compare_full=True))
    return updates, params


def test_training_is_reproducible_for_a_seed():
    first, params_a = run_training(seed=4)
    second, params_b = run_training(seed=4)
    assert [u.step for u in first] == list(range(1, 7))
    for u, v in zip(first, second):
        assert (u.loss, u.grad_norm, u.cosine_to_full, u.error_to_full, u.finite) == \
               (v.loss, v.grad_norm, v.cosine_to_full, v.error_to_full, v.finite)
        assert_same_recordings(u.record, v.record)
    for name in params_a:
        assert np.array_equal(params_a[name], params_b[name])
    other, params_c = run_training(seed=5)
    assert [u.loss for u in other] != [u.loss for u in first]
    assert not np.array_equal(params_a["weight_hh_l0"], params_c["weight_hh_l0"])


def test_training_stops_at_the_first_nonfinite_update():
    """A linear RNN with a huge step size blows up: the loop yields one non-finite update and
    stops, and the parameters are those after the last finite update."""
    task = get_task("sine")
    spec = NetworkSpec(cell="rnn", activation="linear", input_size=1, hidden_size=4, output_size=1)
    params = init_params(spec, seed=0)
    snapshots = [{k: v.copy() for k, v in params.items()}]
    updates = []
    with np.errstate(all="ignore"):
        for update in train(spec, params, task, SGD(lr=50.0), steps=100, seq_len=20, batch_size=4):
            updates.append(update)
            snapshots.append({k: v.copy() for k, v in params.items()})
    *good, last = updates
    assert len(good) >= 1 and all(u.finite and np.isfinite(u.loss) for u in good)
    assert not last.finite and last.where_nonfinite
    assert not np.isfinite(last.loss) or last.where_nonfinite.startswith("∂L/∂")
    assert last.step == len(updates) < 100          # the loop ended there
    for name in params:
        assert np.all(np.isfinite(params[name]))
        assert np.array_equal(params[name], snapshots[-2][name])   # after the last finite update


# ------------------------------------------------------------------------------ bad input

def bad_input_cases():
    spec, params, inputs, targets, _ = make("rnn", layers=1, T=4, B=2, I=2, H=3, O=2)
    xent_targets = np.zeros((4, 2), dtype=int)
    nan_inputs = inputs.copy()
    nan_inputs[1, 0, 0] = np.nan
    wrong_params = dict(params, weight_hh_l0=np.zeros((4, 4)))
    out_of_range = xent_targets.copy()
    out_of_range[2, 1] = 2
    negative = xent_targets.copy()
    negative[0, 0] = -1
    return {
        "wrong input size": (lambda: run_bptt(spec, params, inputs[..., :1], targets),
                             r"inputs must have shape"),
        "2-D inputs": (lambda: run_bptt(spec, params, inputs[:, 0], targets), r"inputs must have shape"),
        "NaN input": (lambda: run_bptt(spec, params, nan_inputs, targets), r"finite"),
        "wrong target shape": (lambda: run_bptt(spec, params, inputs, targets[:3]),
                               r"targets must have shape"),
        "class out of range": (lambda: run_bptt(spec, params, inputs, out_of_range, loss="xent"),
                               r"class index out of range"),
        "negative class": (lambda: run_bptt(spec, params, inputs, negative, loss="xent"),
                           r"class index out of range"),
        "float classes": (lambda: run_bptt(spec, params, inputs, xent_targets.astype(float), loss="xent"),
                          r"integer class indices"),
        "k2 < k1": (lambda: Truncation("tbptt", 3, 2), r"k1=3, k2=2"),
        "k1 = 0": (lambda: Truncation("tbptt", 0, 2), r"k1=0"),
        "random k < 2": (lambda: Truncation("random", 0, 1), r"mean length"),
        "unknown truncation": (lambda: Truncation("sometimes"), r"unknown truncation 'sometimes'"),
        "unknown cell": (lambda: NetworkSpec(cell="transformer"), r"unknown cell 'transformer'"),
        "unknown activation": (lambda: NetworkSpec(activation="swish"), r"unknown activation 'swish'"),
        "unknown loss": (lambda: run_bptt(spec, params, inputs, targets, loss="hinge"),
                         r"unknown loss 'hinge'"),
        "wrong parameter shape": (lambda: run_bptt(spec, wrong_params, inputs, targets),
                                  r"weight_hh_l0 has shape \(4, 4\)"),
        "missing parameter": (lambda: run_bptt(spec, {k: v for k, v in params.items() if k != "readout.bias"},
                                               inputs, targets), r"missing key readout.bias"),
        "wrong h0 shape": (lambda: run_bptt(spec, params, inputs, targets, h0=np.zeros((1, 3, 3))),
                           r"h0 must be"),
        "c0 for a vanilla cell": (lambda: run_bptt(spec, params, inputs, targets, c0=np.zeros((1, 2, 3))),
                                  r"c0 is given"),
        "bad loss mask": (lambda: run_bptt(spec, params, inputs, targets, loss_at=np.ones(3)), r"loss mask"),
        "unknown placement": (lambda: run_bptt(spec, params, inputs, targets, loss_at="first"),
                              r"unknown loss placement 'first'"),
    }


BAD = bad_input_cases()


@pytest.mark.parametrize("case", BAD)
def test_bad_input_raises_a_named_error(case):
    call, message = BAD[case]
    with pytest.raises(RnnInputError, match=message):
        call()


@pytest.mark.parametrize("cell", CELLS, ids=lambda c: "-".join(c))
def test_step_contributions_sum_to_the_gradients(cell):
    spec, params, inputs, targets, options = make(*cell)
    rec = run_bptt(spec, params, inputs, targets, truncation=Truncation("tbptt", 2, 3), **options)
    for name, g in rec.gradients().items():
        parts = rec.contributions(name)
        assert parts.shape == (rec.seq_len, *g.shape)
        np.testing.assert_allclose(parts.sum(axis=0), g, rtol=1e-12, atol=1e-15)
    assert run_bptt(spec, params, inputs, targets, with_sensitivity=False, **options).sensitivity is None


def test_overlapping_windows_do_not_multiply_memory():
    """TBPTT(1, T) visits each step up to T times; the pass still needs memory in T, not T²."""
    import tracemalloc
    spec, params, inputs, targets, options = make("rnn", layers=1, T=200, B=8, H=32)
    tracemalloc.start()
    run_bptt(spec, params, inputs, targets, truncation=Truncation("tbptt", 1, 200),
             with_sensitivity=False, **options)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    one_array = 200 * 8 * 32 * 8                      # bytes of one (T, B, H) float64 array
    assert peak < 30 * one_array                      # ~20 100 visits: a per-visit buffer would be 100×


def test_an_exploded_gradient_is_reported_as_inf_not_as_numpy_warnings():
    """A linear RNN with γσ_max ≈ 10⁶ over 40 steps: its gradient overflows, which the pass says
    with non-finite gradients (the window draws them grey), without a RuntimeWarning on stderr."""
    import warnings
    spec, params, inputs, targets, options = make(activation="linear", layers=1, T=40, H=16)
    params["weight_hh_l0"] = 1e6 / np.sqrt(16) * np.random.default_rng(3).standard_normal((16, 16))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        grads = run_bptt(spec, params, inputs, targets, **options).gradients()
    assert not np.all(np.isfinite(grads["weight_hh_l0"]))
