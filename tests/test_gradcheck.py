"""Finite-difference checks of every recorded gradient (rnn.gradcheck), truncated ones included.

A truncated gradient is the exact gradient of a surrogate loss whose window-entry states are
constants, so every truncation mode is checked against centred differences of that surrogate.
"""

import itertools

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from rnn import NetworkSpec, Truncation, init_params, run_bptt
from rnn.gradcheck import (check_gradients, numerical_gradient, reference_forward, relative_error,
                           surrogate_loss, window_weights)

# ε ≈ (machine ε)^(1/3) balances the O(ε²) truncation and O(δ/ε) rounding errors of a centred
# difference; the engine's own default (1e-6) is tested too, with the same 1e-6 bound.
EPS = 1e-5
TOL = 1e-6
ATOL = 1e-9          # absolute floor for tiny gradients in random configurations (see below)
RELU_MARGIN = 1e-3   # ReLU pre-activations stay at least this far from the kink at 0

CELLS = [("rnn", "tanh"), ("rnn", "sigmoid"), ("rnn", "relu"), ("rnn", "linear"),
         ("lstm", "tanh"), ("gru", "tanh")]
LOSSES = ["mse", "xent"]
PLACEMENTS = ["all", "last", "mask"]
TRUNCATIONS = {"full": Truncation(), "tbptt22": Truncation("tbptt", 2, 2),
               "tbptt13": Truncation("tbptt", 1, 3), "tbptt23": Truncation("tbptt", 2, 3)}
LAYERS = [1, 2]


def placement_for(placement, T, B, rng):
    if placement != "mask":
        return placement
    mask = (rng.random((T, B)) < 0.5).astype(float)
    mask[rng.integers(T), rng.integers(B)] = 1.0      # at least one loss term
    return mask


def relu_margin(spec, params, inputs, h0):
    rec = reference_forward(spec, params, inputs, np.zeros((*inputs.shape[:2], spec.output_size)),
                            h0=h0)
    return float(np.min(np.abs(rec.pre)))


def make_problem(cell, activation, layers, loss, placement, T=5, B=2, I=2, H=3, O=2, seed=0,
                 init_seed=None):
    """A small seeded problem; h0 (and c0) random so their paths are exercised. For ReLU, the
    first seed whose pre-activations all stay RELU_MARGIN away from 0 (finite differences across
    the kink would be meaningless)."""
    spec = NetworkSpec(cell=cell, activation=activation, input_size=I, hidden_size=H,
                       output_size=O, num_layers=layers)
    for attempt in range(200):
        rng = np.random.default_rng([seed, attempt])
        params = init_params(spec, seed=seed * 1000 + attempt if init_seed is None else init_seed)
        inputs = rng.standard_normal((T, B, I))
        h0 = 0.5 * rng.standard_normal((layers, B, H))
        c0 = 0.5 * rng.standard_normal((layers, B, H)) if cell == "lstm" else None
        if activation != "relu" or cell != "rnn" or relu_margin(spec, params, inputs, h0) > RELU_MARGIN:
            break
    else:  # pragma: no cover
        raise AssertionError("no ReLU problem away from the kink")
    if loss == "mse":
        targets = rng.standard_normal((T, B, O))
    else:
        targets = rng.integers(0, O, (T, B))
    return dict(spec=spec, params=params, inputs=inputs, targets=targets, loss=loss,
                loss_at=placement_for(placement, T, B, rng), h0=h0, c0=c0)


def assert_gradients_match(problem, truncation, states=False, tiny_floor=False, **options):
    """Every relative error below TOL. With ``tiny_floor`` (random configurations), an array whose
    gradient is tiny may instead agree to ATOL·max(1, L) in absolute terms: centred differences
    carry an absolute rounding error of about ulp(L)/ε per entry, which no relative bound survives
    when ‖g‖ is itself ~1e-6 (e.g. ∂L/∂h0 through a near-zero W_hh)."""
    before = {k: v.copy() for k, v in problem["params"].items()}
    errors = check_gradients(problem["spec"], problem["params"], problem["inputs"], problem["targets"],
                             problem["loss"], problem["loss_at"], truncation, problem["h0"],
                             problem["c0"], states=states, **{"eps": EPS, **options})
    expected = set(problem["params"])
    if states:
        expected |= {"h0", "c0"} if problem["spec"].has_cell_state else {"h0"}
    assert set(errors) == expected
    for name, value in before.items():   # the check leaves the parameters exactly as they were
        assert np.array_equal(problem["params"][name], value)
    if tiny_floor:
        rec = run_bptt(problem["spec"], problem["params"], problem["inputs"], problem["targets"],
                       loss=problem["loss"], loss_at=problem["loss_at"], truncation=truncation,
                       h0=problem["h0"], c0=problem["c0"], seed=options.get("seed", 0))
        norms = {name: np.linalg.norm(g) for name, g in rec.gradients().items()}
        norms["h0"] = np.linalg.norm(rec.dh0)
        norms["c0"] = np.linalg.norm(rec.dc0) if rec.dc0 is not None else 0.0
        atol = ATOL * max(1.0, abs(rec.loss))
        failed = {n: e for n, e in errors.items() if not (e < TOL or e * norms[n] < atol)}
    else:
        failed = {n: e for n, e in errors.items() if not e < TOL}
    assert not failed, f"relative errors {failed} (all: {errors})"
    return errors


# ------------------------------------------------------------------------- the helpers themselves

def test_numerical_gradient_of_a_quadratic_and_restores_parameters():
    rng = np.random.default_rng(1)
    A = rng.standard_normal((6, 6))
    A = A + A.T
    b = rng.standard_normal(6)
    params = {"theta": rng.standard_normal((2, 3)), "other": rng.standard_normal(4)}
    saved = {k: v.copy() for k, v in params.items()}

    def loss(p):
        th = p["theta"].ravel()
        return 0.5 * th @ A @ th + b @ th + np.sum(p["other"] ** 2)

    grad = numerical_gradient(loss, params, "theta")
    assert grad.shape == (2, 3)
    exact = (A @ params["theta"].ravel() + b).reshape(2, 3)
    assert relative_error(grad, exact) < 1e-8          # exact for a quadratic up to rounding
    for k in params:
        assert np.array_equal(params[k], saved[k])
    subset = numerical_gradient(loss, params, "theta", indices=[4, 1])
    assert subset.shape == (2,)
    assert relative_error(subset, exact.ravel()[[4, 1]]) < 1e-8


def test_numerical_gradient_restores_parameters_when_the_loss_raises():
    params = {"w": np.array([1.0, 2.0])}

    def loss(p):
        raise FloatingPointError("boom")

    with pytest.raises(FloatingPointError):
        numerical_gradient(loss, params, "w")
    assert np.array_equal(params["w"], [1.0, 2.0])


def test_relative_error():
    a = np.array([3.0, 4.0])
    assert relative_error(a, a) == 0.0
    assert relative_error(np.zeros(3), np.zeros(3)) == 0.0
    assert relative_error(a, np.zeros(2)) == 1.0
    assert relative_error(a, 2 * a) == relative_error(2 * a, a) == pytest.approx(0.5)


@pytest.mark.parametrize("name", list(TRUNCATIONS) + ["random"])
def test_surrogate_equals_the_loss_at_the_reference_point(name):
    """The windows restart from the reference states, so their losses are the true loss terms."""
    truncation = TRUNCATIONS.get(name, Truncation("random", 0, 2.5))
    p = make_problem("gru", "tanh", 2, "mse", "mask", T=7, seed=3)
    loss = run_bptt(p["spec"], p["params"], p["inputs"], p["targets"], loss_at=p["loss_at"],
                    h0=p["h0"]).loss
    value = surrogate_loss(p["spec"], p["params"], p["inputs"], p["targets"], "mse", p["loss_at"],
                           truncation, p["h0"], seed=5)
    assert value == pytest.approx(loss, rel=1e-12)


def test_window_weights_follow_the_segments():
    T = 7
    for truncation in TRUNCATIONS.values():
        a, f0 = window_weights(truncation, T)
        assert f0 == 1.0
        for seg in truncation.segments(T):
            for t in range(seg.loss_start, seg.loss_end):
                expected = np.zeros(T)
                expected[seg.window_start] = 1.0
                assert np.array_equal(a[:, t], expected)
    # random: the weights reaching step k from loss t sum to Π_{j=k+1..t} f_j
    truncation = Truncation("random", 0, 2)
    a, f0 = window_weights(truncation, T, seed=4)
    f = truncation.carry_factors(T, np.random.default_rng(4))
    assert f0 == f[0]
    for t in range(T):
        for k in range(t + 1):
            assert a[: k + 1, t].sum() == pytest.approx(np.prod(f[k + 1: t + 1]), abs=1e-12)
        assert np.all(a[t + 1:, t] == 0)


def test_surrogate_holds_the_window_states_fixed():
    """Truncated gradient ≠ gradient of the loss: the check has teeth only if the surrogate differs."""
    p = make_problem("rnn", "tanh", 1, "mse", "all", T=6, seed=2)
    truncation = TRUNCATIONS["tbptt22"]
    rec = run_bptt(p["spec"], p["params"], p["inputs"], p["targets"], truncation=truncation, h0=p["h0"])
    ref = reference_forward(p["spec"], p["params"], p["inputs"], p["targets"], h0=p["h0"])

    def surrogate(q):
        return surrogate_loss(p["spec"], q, p["inputs"], p["targets"], "mse", "all", truncation,
                              p["h0"], reference=ref)

    def full(q):
        return run_bptt(p["spec"], q, p["inputs"], p["targets"], h0=p["h0"]).loss

    name = "weight_hh_l0"
    g = rec.gradients()[name]
    assert relative_error(g, numerical_gradient(surrogate, p["params"], name, EPS)) < TOL
    assert relative_error(g, numerical_gradient(full, p["params"], name, EPS)) > 1e-3


def test_default_eps():
    p = make_problem("lstm", "tanh", 1, "mse", "all", seed=1)
    errors = check_gradients(p["spec"], p["params"], p["inputs"], p["targets"], "mse", "all",
                             TRUNCATIONS["tbptt23"], p["h0"], p["c0"], states=True)
    assert max(errors.values()) < TOL


# ------------------------------------------------------------------------------- the design

def pairwise_design(factors):
    """A greedy covering array: every pair of values of any two factors appears in some row."""
    names = list(factors)
    uncovered = {(i, a, j, b) for i, j in itertools.combinations(range(len(names)), 2)
                 for a in factors[names[i]] for b in factors[names[j]]}
    candidates = list(itertools.product(*factors.values()))
    rows = []
    while uncovered:
        def gain(row):
            return sum((i, row[i], j, row[j]) in uncovered
                       for i, j in itertools.combinations(range(len(row)), 2))
        best = max(candidates, key=gain)
        rows.append(best)
        uncovered -= {(i, best[i], j, best[j]) for i, j in itertools.combinations(range(len(best)), 2)}
    return rows


FACTORS = {"cell": CELLS, "loss": LOSSES, "placement": PLACEMENTS, "truncation": list(TRUNCATIONS),
           "layers": LAYERS}
PAIRWISE = pairwise_design(FACTORS)
FULL_ONE_LAYER = [(c, loss, pl, tr, 1) for c in [("rnn", "tanh"), ("lstm", "tanh"), ("gru", "tanh")]
                  for loss in LOSSES for pl in PLACEMENTS for tr in TRUNCATIONS]
CASES = FULL_ONE_LAYER + [row for row in PAIRWISE if row not in FULL_ONE_LAYER]


def case_id(row):
    (cell, act), loss, placement, truncation, layers = row
    return f"{cell}-{act}-{loss}-{placement}-{truncation}-L{layers}"


def test_design_covers_every_pair():
    for (i, a), (j, b) in itertools.combinations(enumerate(FACTORS), 2):
        for va in FACTORS[a]:
            for vb in FACTORS[b]:
                assert any(row[i] == va and row[j] == vb for row in CASES), (a, va, b, vb)


@pytest.mark.parametrize("row", CASES, ids=[case_id(r) for r in CASES])
def test_gradients_match_finite_differences(row):
    (cell, activation), loss, placement, truncation, layers = row
    small = dict(T=5, B=2, I=2, H=3, O=2) if layers == 1 else dict(T=5, B=2, I=2, H=2, O=2)
    problem = make_problem(cell, activation, layers, loss, placement, seed=CASES.index(row), **small)
    assert_gradients_match(problem, TRUNCATIONS[truncation])


@pytest.mark.parametrize("cell", CELLS, ids=lambda c: "-".join(c))
@pytest.mark.parametrize("truncation", ["full", "tbptt13", "random"])
def test_initial_state_gradients(cell, truncation):
    """record.dh0 (and dc0) against differences with respect to h0 (and c0)."""
    problem = make_problem(*cell, 2, "mse", "all", T=5, B=2, I=2, H=2, O=2, seed=7)
    trunc = TRUNCATIONS.get(truncation, Truncation("random", 0, 2))
    for seed in range(2):   # random carry factors: several draws, including ones that cut near 0
        errors = assert_gradients_match(problem, trunc, states=True, seed=seed)
        if truncation != "random":
            break
    assert "h0" in errors and ("c0" in errors) == (cell[0] == "lstm")


@pytest.mark.parametrize("cell", CELLS, ids=lambda c: "-".join(c))
def test_randomized_truncation_is_the_gradient_of_its_surrogate(cell):
    """For one seed the random carry factors are fixed: that gradient is exact for its surrogate."""
    problem = make_problem(*cell, 1, "xent", "mask", T=6, seed=11)
    for seed in range(2):
        assert_gradients_match(problem, Truncation("random", 0, 2.5), seed=seed)


# ------------------------------------------------------------------------------- hypothesis

@st.composite
def truncations(draw):
    mode = draw(st.sampled_from(["full", "tbptt", "random"]))
    if mode == "full":
        return Truncation()
    if mode == "random":
        return Truncation("random", 0, draw(st.sampled_from([2, 3, 4.5])))
    k1 = draw(st.integers(1, 5))
    return Truncation("tbptt", k1, draw(st.integers(k1, 6)))


@settings(max_examples=25, deadline=None)
@given(cell=st.sampled_from(CELLS), layers=st.integers(1, 2), I=st.integers(1, 4),
       H=st.integers(1, 4), O=st.integers(1, 4), T=st.integers(1, 5), B=st.integers(1, 3),
       loss=st.sampled_from(LOSSES), placement=st.sampled_from(PLACEMENTS),
       truncation=truncations(), seed=st.integers(0, 2**16))
def test_hypothesis_configurations(cell, layers, I, H, O, T, B, loss, placement, truncation, seed):
    spec = NetworkSpec(cell=cell[0], activation=cell[1], input_size=I, hidden_size=H,
                       output_size=O, num_layers=layers)
    rng = np.random.default_rng(seed)
    params = init_params(spec, seed=seed)
    inputs = rng.standard_normal((T, B, I))
    h0 = 0.5 * rng.standard_normal((layers, B, H))
    c0 = 0.5 * rng.standard_normal((layers, B, H)) if cell[0] == "lstm" else None
    if cell == ("rnn", "relu"):
        assume(relu_margin(spec, params, inputs, h0) > RELU_MARGIN)
    targets = rng.standard_normal((T, B, O)) if loss == "mse" else rng.integers(0, O, (T, B))
    problem = dict(spec=spec, params=params, inputs=inputs, targets=targets, loss=loss,
                   loss_at=placement_for(placement, T, B, rng), h0=h0, c0=c0)
    # at most 8 entries per array keep the largest networks quick
    assert_gradients_match(problem, truncation, states=True, tiny_floor=True, seed=seed, entries=8)


# ------------------------------------------------------------------------- steeper gates
@pytest.mark.parametrize("cell", ["lstm", "gru"])
@pytest.mark.parametrize("beta", [0.5, 2.5])
@pytest.mark.parametrize("truncation", ["full", "tbptt22"])
def test_steeper_gates_gradients_match_finite_differences(cell, beta, truncation):
    """σ(β a) in the gates: every gradient (and ∂L/∂h0, ∂L/∂c0) against centred differences."""
    problem = make_problem(cell, "tanh", 2, "mse", "all")
    spec = problem["spec"]
    problem["spec"] = NetworkSpec(cell=spec.cell, activation=spec.activation, input_size=spec.input_size,
                                  hidden_size=spec.hidden_size, output_size=spec.output_size,
                                  num_layers=spec.num_layers, gate_steepness=beta)
    assert_gradients_match(problem, TRUNCATIONS[truncation], states=True)


# ------------------------------------------------------------------------- every task's data
@pytest.mark.parametrize("task_name", sorted(__import__("rnn.tasks", fromlist=["TASKS"]).TASKS))
@pytest.mark.parametrize("cell", ["rnn", "lstm"])
def test_gradients_on_every_tasks_batches_match_finite_differences(task_name, cell):
    """Each task's own inputs, targets, loss and loss steps (its mask), through a small network:
    every gradient against centred differences."""
    from rnn.tasks import TASKS
    task = TASKS[task_name]
    T = max(task.min_seq_len, 6)
    batch = task.sample(2, T, np.random.default_rng(5))
    spec = NetworkSpec(cell=cell, input_size=task.input_size, hidden_size=3, output_size=task.output_size)
    problem = dict(spec=spec, params=init_params(spec, seed=2), inputs=batch.inputs, targets=batch.targets,
                   loss=task.loss, loss_at=batch.loss_mask, h0=None, c0=None)
    assert_gradients_match(problem, Truncation(), tiny_floor=True)
