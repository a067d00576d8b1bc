"""The engine against the theory of vanishing and exploding gradients (Pascanu, Mikolov & Bengio
2013): exact decay for linear orthogonal recurrences, the (γσ_max)^(t−k) bound, step Jacobians,
the sensitivity matrix and the regime verdict."""

import numpy as np
import pytest

from rnn import NetworkSpec, init_params, run_bptt
from rnn.activations import ACTIVATIONS
from rnn.cells import make_cell
from rnn.diagnostics import gradient_bound, jacobian_norms, regime
from rnn.params import layer_params


def make_inputs(spec, T, B, seed=0, loss="mse"):
    rng = np.random.default_rng(seed)
    inputs = rng.standard_normal((T, B, spec.input_size))
    if loss == "mse":
        targets = rng.standard_normal((T, B, spec.output_size))
    else:
        targets = rng.integers(0, spec.output_size, (T, B))
    return inputs, targets


def random_orthogonal(n, rng):
    q, r = np.linalg.qr(rng.standard_normal((n, n)))
    return q * np.sign(np.diag(r))


def phi_prime(activation, a):
    """φ'(a) written out here, independently of the engine's activation table."""
    if activation == "tanh":
        return 1.0 - np.tanh(a) ** 2
    if activation == "sigmoid":
        s = 1.0 / (1.0 + np.exp(-a))
        return s * (1.0 - s)
    if activation == "relu":
        return (a > 0).astype(float)
    return np.ones_like(a)


# ------------------------------------------------------------- exact decay, linear orthogonal

@pytest.mark.parametrize("rho", [0.9, 1.1])
@pytest.mark.parametrize("layers,build", [(1, "init"), (2, "direct")])
def test_linear_orthogonal_recurrence_scales_the_adjoint_by_rho_per_step(rho, layers, build):
    """φ = id, W_hh = ρQ, loss at the last step: ∂L/∂h_k = (W_hhᵀ)^(T−1−k) ∂L/∂h_{T−1}, whose norm
    is exactly ρ^(T−1−k) ‖∂L/∂h_{T−1}‖ (top layer: nothing else feeds its adjoint)."""
    T, H = 16, 5
    spec = NetworkSpec(cell="rnn", activation="linear", input_size=2, hidden_size=H, output_size=3,
                       num_layers=layers)
    if build == "init":
        params = init_params(spec, "orthogonal", seed=1, sigma_max=rho)
    else:
        params = init_params(spec, seed=1)
        params[f"weight_hh_l{layers - 1}"] = rho * random_orthogonal(H, np.random.default_rng(2))
    W = params[f"weight_hh_l{layers - 1}"]
    np.testing.assert_allclose(W.T @ W, rho ** 2 * np.eye(H), atol=1e-12)     # really ρQ
    inputs, targets = make_inputs(spec, T, 1)
    rec = run_bptt(spec, params, inputs, targets, loss_at="last")
    norms = np.linalg.norm(rec.dh[-1, :, 0], axis=-1)
    assert norms[-1] > 0
    expected = rho ** (T - 1 - np.arange(T)) * norms[-1]
    np.testing.assert_allclose(norms, expected, rtol=1e-12, atol=0)
    # and the regime verdict agrees with what happens
    verdict = regime(params, spec).verdict
    if layers == 1:
        assert ("vanishing" in verdict) == (rho < 1) and ("explosion possible" in verdict) == (rho > 1)


# ------------------------------------------------------------------- the (γσ_max)^(t−k) bound

def step_jacobians(rec, params, layer=0, b=0):
    """J_t = ∂h_t/∂h_{t−1} = diag(φ'(a_t)) W_hh for one sequence, from the recorded a_t."""
    spec = rec.spec
    W_hh = params[f"weight_hh_l{layer}"]
    d = phi_prime(spec.activation, rec.pre[layer, :, b])
    return [d[t][:, None] * W_hh for t in range(rec.seq_len)]


@pytest.mark.parametrize("activation,sigma", [("tanh", 0.95), ("tanh", 0.6), ("sigmoid", 3.6),
                                              ("sigmoid", 2.0)])
def test_jacobian_products_obey_the_bound(activation, sigma):
    """‖∂h_t/∂h_k‖₂ = ‖J_t ⋯ J_{k+1}‖₂ ≤ (γσ_max)^(t−k), γ = 1 (tanh) or 1/4 (sigmoid)."""
    T, H = 10, 4
    spec = NetworkSpec(cell="rnn", activation=activation, input_size=2, hidden_size=H, output_size=1)
    params = init_params(spec, "xavier", seed=3, sigma_max=sigma)
    gamma = {"tanh": 1.0, "sigmoid": 0.25}[activation]
    assert spec.gamma == gamma
    rate = gamma * sigma
    assert rate < 1
    inputs, targets = make_inputs(spec, T, 2, seed=4)
    rec = run_bptt(spec, params, inputs, targets)
    for b in range(2):
        J = step_jacobians(rec, params, b=b)
        for k in range(-1, T):              # k = −1 is h0
            product = np.eye(H)
            for t in range(k + 1, T):
                product = J[t] @ product
                assert np.linalg.norm(product, 2) <= rate ** (t - k) * (1 + 1e-12)
    # the sensitivity matrix obeys the same bound: S[t, k] ≤ (γσ)^(t−k) S[t, t]
    S = rec.sensitivity
    for t in range(T):
        for k in range(t + 1):
            assert S[t, k] <= rate ** (t - k) * S[t, t] * (1 + 1e-12)


def test_jacobian_product_is_the_derivative_of_the_state():
    """The product of step Jacobians used above is ∂h_t/∂h0, by finite differences."""
    T, H = 6, 3
    spec = NetworkSpec(cell="rnn", activation="tanh", input_size=2, hidden_size=H, output_size=1)
    params = init_params(spec, seed=5)
    inputs, targets = make_inputs(spec, T, 1, seed=6)
    h0 = np.random.default_rng(7).standard_normal((1, 1, H))
    rec = run_bptt(spec, params, inputs, targets, h0=h0)
    product = np.eye(H)
    for J in step_jacobians(rec, params):
        product = J @ product
    eps = 1e-6
    fd = np.zeros((H, H))
    for j in range(H):
        plus, minus = h0.copy(), h0.copy()
        plus[0, 0, j] += eps
        minus[0, 0, j] -= eps
        fd[:, j] = (run_bptt(spec, params, inputs, targets, h0=plus).h[0, -1, 0]
                    - run_bptt(spec, params, inputs, targets, h0=minus).h[0, -1, 0]) / (2 * eps)
    np.testing.assert_allclose(product, fd, rtol=1e-7, atol=1e-10)


@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_gamma_is_the_sup_of_the_derivative(name):
    a = np.linspace(-8, 8, 160001)
    measured = np.max(np.abs(phi_prime(name, a)))
    act = ACTIVATIONS[name]
    assert act.gamma == pytest.approx(measured, rel=1e-6)
    np.testing.assert_allclose(act.derivative(a, act(a)), phi_prime(name, a), atol=1e-15)


def test_sigmoid_is_exact_to_a_few_ulps_and_saturates_without_warnings():
    """σ is computed as e^a / (1 + e^a) with a capped; checked against extended precision."""
    from rnn.activations import sigmoid
    a = np.concatenate([np.linspace(-40, 40, 80001), [-1e300, -800.0, 708.0, 709.0, 800.0, 1e300]])
    with np.errstate(all="raise"):                     # no overflow, underflow is allowed below
        with np.errstate(under="ignore"):
            got = sigmoid(a)
    wide = a.astype(np.longdouble)
    with np.errstate(over="ignore"):
        reference = (1 / (1 + np.exp(-wide))).astype(np.float64)
    finite = reference > 1e-300
    ulps = np.abs(got[finite] - reference[finite]) / np.spacing(reference[finite])
    assert ulps.max() <= 4
    assert got[-3:].tolist() == [1.0, 1.0, 1.0] and got[-6] == 0.0
    out = np.array([0.0, np.nan, -np.inf, np.inf])
    sigmoid(out, out=out)                               # in place, NaN propagates
    assert out[0] == 0.5 and np.isnan(out[1]) and out[2] == 0.0 and out[3] == 1.0


# --------------------------------------------------------------------------- jacobian_norms

@pytest.mark.parametrize("activation", list(ACTIVATIONS))
def test_jacobian_norms_of_the_vanilla_cell(activation):
    """jacobian_norms = ‖diag(φ'(a_t)) W_hh‖₂ for each layer and sequence."""
    T = 7
    spec = NetworkSpec(cell="rnn", activation=activation, input_size=2, hidden_size=4,
                       output_size=2, num_layers=2)
    params = init_params(spec, seed=8)
    inputs, targets = make_inputs(spec, T, 3, seed=9)
    rec = run_bptt(spec, params, inputs, targets)
    cell = make_cell("rnn", activation)
    for layer in range(2):
        for b in range(3):
            expected = [np.linalg.norm(J, 2) for J in step_jacobians(rec, params, layer, b)]
            np.testing.assert_allclose(jacobian_norms(rec, cell, params, layer, b), expected,
                                       rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("cell_name", ["lstm", "gru"])
def test_jacobian_norms_of_gated_cells_match_finite_differences(cell_name):
    """For the GRU s = h, for the LSTM s = (h, c): ‖∂s_t/∂s_{t−1}‖₂ from differences of the step."""
    T, H = 5, 3
    spec = NetworkSpec(cell=cell_name, input_size=2, hidden_size=H, output_size=2, num_layers=2)
    params = init_params(spec, seed=10)
    inputs, targets = make_inputs(spec, T, 2, seed=11)
    rng = np.random.default_rng(12)
    h0 = rng.standard_normal((2, 2, H))
    c0 = rng.standard_normal((2, 2, H)) if cell_name == "lstm" else None
    rec = run_bptt(spec, params, inputs, targets, h0=h0, c0=c0)
    cell = make_cell(cell_name)
    lstm = cell_name == "lstm"
    eps = 1e-6
    for layer in range(2):
        x = rec.layer_inputs(layer)
        h_prev, c_prev = rec.h_prev(layer), rec.c_prev(layer)
        for b in range(2):
            expected = []
            for t in range(T):
                s = np.concatenate([h_prev[t, b], c_prev[t, b]]) if lstm else h_prev[t, b].copy()

                def step(state):
                    h, c = state[:H][None], (state[H:][None] if lstm else None)
                    out = cell.forward(x[t, b][None], h, c, *layer_params(params, layer))
                    return np.concatenate([out.h[0], out.c[0]]) if lstm else out.h[0]

                J = np.zeros((s.size, s.size))
                for j in range(s.size):
                    e = np.zeros(s.size)
                    e[j] = eps
                    J[:, j] = (step(s + e) - step(s - e)) / (2 * eps)
                np.testing.assert_allclose(step(s), np.concatenate([rec.h[layer, t, b], rec.c[layer, t, b]])
                                           if lstm else rec.h[layer, t, b], atol=1e-14)
                expected.append(np.linalg.norm(J, 2))
            np.testing.assert_allclose(jacobian_norms(rec, cell, params, layer, b), expected, rtol=1e-7)


# ------------------------------------------------------------------------------ sensitivity

@pytest.mark.parametrize("layers", [1, 2])
@pytest.mark.parametrize("cell_name", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("placement", ["all", "mask"])
def test_sensitivity_rows_are_separate_single_loss_passes(cell_name, layers, placement):
    """S[t, k] = ‖∂L_t/∂h_k‖: row t is the top-layer dh of a pass with the loss at step t only."""
    T, B = 6, 2
    spec = NetworkSpec(cell=cell_name, input_size=2, hidden_size=3, output_size=3, num_layers=layers)
    params = init_params(spec, seed=13)
    loss = "xent" if placement == "mask" else "mse"
    inputs, targets = make_inputs(spec, T, B, seed=14, loss=loss)
    rng = np.random.default_rng(15)
    mask = np.ones((T, B)) if placement == "all" else (rng.random((T, B)) < 0.5).astype(float)
    if placement == "mask":
        mask[2] = 0.0               # a step with no loss at all
        mask[4, 0] = 1.0
    rec = run_bptt(spec, params, inputs, targets, loss=loss, loss_at=mask)
    S = rec.sensitivity
    assert S.shape == (T, T)
    total = np.zeros_like(rec.dh)
    for t in range(T):
        only_t = np.zeros((T, B))
        only_t[t] = mask[t]
        single = run_bptt(spec, params, inputs, targets, loss=loss, loss_at=only_t, with_sensitivity=False)
        total += single.dh
        row = np.sqrt(np.sum(single.dh[-1] ** 2, axis=(1, 2)))
        assert np.all(row[t + 1:] == 0)
        np.testing.assert_allclose(S[t], row, rtol=1e-12, atol=1e-300)
        assert (S[t, t] > 0) == bool(np.any(mask[t]))
    assert np.all(np.triu(S, 1) == 0)
    # linearity: the full pass's adjoints are the sum of the single-loss passes' adjoints
    np.testing.assert_allclose(total, rec.dh, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("layers", [1, 2])
@pytest.mark.parametrize("cell_name", ["rnn", "lstm", "gru"])
def test_one_loss_steps_sensitivity_is_that_of_the_full_graph_under_any_truncation(cell_name, layers):
    """One loss, at the last step: S's row is ‖∂L/∂h_k‖ of the full, untruncated graph, whatever the
    pass's own truncation; read from a full pass's own ∂L/∂h (no sweep), it agrees with the sweep to
    rounding, and under TBPTT it still reaches past the segment the truncated gradient stops at."""
    from rnn.cells import cell_of
    from rnn.diagnostics import sensitivity
    from rnn.truncation import Truncation
    T, B = 9, 2
    spec = NetworkSpec(cell=cell_name, input_size=2, hidden_size=3, output_size=2, num_layers=layers)
    params = init_params(spec, seed=21)
    inputs, targets = make_inputs(spec, T, B, seed=22)
    full = run_bptt(spec, params, inputs, targets, loss_at="last")
    swept = sensitivity(full, cell_of(spec), params, full_bptt=False)
    np.testing.assert_allclose(full.sensitivity_rows.rows, swept.rows, rtol=1e-13, atol=1e-300)
    truncated = run_bptt(spec, params, inputs, targets, loss_at="last", truncation=Truncation.every(3))
    np.testing.assert_allclose(truncated.sensitivity_rows.rows, swept.rows, rtol=1e-13, atol=1e-300)
    assert np.all(truncated.dh[-1, :6] == 0) and np.all(truncated.sensitivity_rows.rows[0, :6] > 0)


def test_a_long_pass_keeps_only_the_sensitivity_rows_of_its_loss_steps():
    """T = 10,000 with the loss at the last step: S keeps that one row (80 KB, not the 800 MB of
    the whole matrix), and with a single loss term it is ‖∂L/∂h_k‖ itself."""
    from rnn.memory import pass_bytes
    T = 10_000
    spec = NetworkSpec(cell="rnn", input_size=2, hidden_size=8, output_size=1)
    params = init_params(spec, seed=3)
    inputs, targets = make_inputs(spec, T, 1, seed=4)
    rec = run_bptt(spec, params, inputs, targets, loss_at="last")
    S = rec.sensitivity_rows
    assert S.steps.tolist() == [T - 1] and S.rows.shape == (1, T) and S.rows.nbytes == 8 * T
    np.testing.assert_allclose(S.rows[0], np.sqrt(np.sum(rec.dh[-1] ** 2, axis=(1, 2))), rtol=1e-12, atol=1e-300)
    assert pass_bytes(spec, T, 1, True, loss_steps=1) < 20 * 2**20


# -------------------------------------------------------------------------------- regime

@pytest.mark.parametrize("activation,sigma,expected", [
    ("tanh", 0.5, "vanishing"), ("tanh", 1.5, "explosion possible"),
    ("sigmoid", 3.0, "vanishing"), ("sigmoid", 5.0, "explosion possible"),
    ("relu", 0.8, "vanishing"), ("linear", 1.2, "explosion possible"),
])
def test_regime_verdicts(activation, sigma, expected):
    spec = NetworkSpec(cell="rnn", activation=activation, input_size=2, hidden_size=4, num_layers=2)
    params = init_params(spec, seed=16, sigma_max=sigma)
    params["weight_hh_l0"] *= 0.5                      # the verdict uses the largest layer
    r = regime(params, spec)
    blocks = [params["weight_hh_l0"], params["weight_hh_l1"]]
    assert r.sigma_max == pytest.approx(max(np.linalg.norm(W, 2) for W in blocks), rel=1e-12)
    assert r.sigma_max == pytest.approx(sigma, rel=1e-12)
    assert r.radius == pytest.approx(max(np.max(np.abs(np.linalg.eigvals(W))) for W in blocks), rel=1e-12)
    assert r.gamma == spec.gamma
    assert expected in r.verdict
    other = "explosion possible" if expected == "vanishing" else "vanishing"
    assert other not in r.verdict


def test_regime_for_gated_cells_says_the_bound_is_for_the_vanilla_cell():
    for cell_name in ("lstm", "gru"):
        spec = NetworkSpec(cell=cell_name, hidden_size=3)
        params = init_params(spec, seed=17)
        r = regime(params, spec)
        assert "gated" in r.verdict
        H = spec.hidden_size
        W = params["weight_hh_l0"]
        assert r.sigma_max == pytest.approx(max(np.linalg.norm(W[g * H:(g + 1) * H], 2)
                                                for g in range(spec.gates)), rel=1e-12)


@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "relu", "linear"])
@pytest.mark.parametrize("loss_at", ["all", "last"])
def test_gradient_bound_holds_for_the_full_gradient(activation, loss_at):
    """‖∂L/∂h_k‖ ≤ Σ_{t≥k} (γσ_max)^(t−k) ‖∂L_t/∂h_t‖ at every step, whatever the loss placement."""
    rng = np.random.default_rng(7)
    spec = NetworkSpec("rnn", activation, 2, 6, 2, 2)
    params = init_params(spec, "orthogonal", seed=3, sigma_max=0.8)
    inputs, targets = rng.standard_normal((15, 3, 2)), rng.standard_normal((15, 3, 2))
    record = run_bptt(spec, params, inputs, targets, loss_at=loss_at)
    bound = gradient_bound(record, regime(params, spec))
    assert np.all(np.isfinite(bound))
    assert np.all(record.dh_norm <= bound * (1 + 1e-12))
    # the bound is not vacuous: at the last step it is attained
    assert bound[-1] == pytest.approx(record.dh_norm[-1], rel=1e-12)


def test_gradient_bound_does_not_apply_to_gated_cells():
    spec = NetworkSpec("lstm", "tanh", 1, 3, 1, 1)
    params = init_params(spec, seed=0)
    x = np.ones((4, 1, 1))
    record = run_bptt(spec, params, x, x)
    assert np.all(np.isnan(gradient_bound(record, regime(params, spec))))
