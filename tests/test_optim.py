"""Tests for rnn.optim: optimizers (parity with torch.optim) and gradient clipping."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from rnn.errors import RnnInputError
from rnn.optim import (
    OPTIMIZERS,
    SGD,
    Adagrad,
    Adam,
    ClipResult,
    Optimizer,
    RMSProp,
    clip_by_global_norm,
    clip_by_value,
    clip_gradients,
    global_norm,
    make_optimizer,
)

SHAPES = {"weight_ih_l0": (4, 3), "weight_hh_l0": (4, 4), "bias_ih_l0": (4,), "readout.bias": (2,)}


def random_arrays(rng, scale=1.0):
    return {k: scale * rng.standard_normal(s) for k, s in SHAPES.items()}


def rel_err(a, b):
    return np.linalg.norm(a - b) / np.linalg.norm(b)


# --------------------------------------------------------------------------- torch parity

PARITY_CASES = [  # (our name, our kwargs, torch.optim class, its kwargs)
    ("sgd", {}, "SGD", {}),
    ("momentum", {}, "SGD", {"momentum": 0.9}),
    ("momentum", {"momentum": 0.7, "nesterov": True}, "SGD", {"momentum": 0.7, "nesterov": True}),
    ("adagrad", {}, "Adagrad", {}),
    ("rmsprop", {}, "RMSprop", {}),
    ("rmsprop", {"alpha": 0.9, "eps": 1e-6}, "RMSprop", {"alpha": 0.9, "eps": 1e-6}),
    ("adam", {}, "Adam", {}),
    ("adam", {"betas": (0.8, 0.99), "eps": 1e-6}, "Adam", {"betas": (0.8, 0.99), "eps": 1e-6}),
]


@pytest.mark.parametrize("name, kw, torch_class, torch_kw", PARITY_CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(PARITY_CASES)])
def test_matches_torch_over_20_steps(name, kw, torch_class, torch_kw):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1234)
    lr = 0.05
    params = random_arrays(rng)
    tparams = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True)
               for k, v in params.items()}
    ours = make_optimizer(name, lr, **kw)
    theirs = getattr(torch.optim, torch_class)(list(tparams.values()), lr=lr, **torch_kw)
    for _ in range(20):
        grads = random_arrays(rng, scale=rng.uniform(0.01, 10.0))
        for k, t in tparams.items():
            t.grad = torch.tensor(grads[k], dtype=torch.float64)
        theirs.step()
        ours.step(params, grads)
        for k, t in tparams.items():
            assert rel_err(params[k], t.detach().numpy()) < 1e-12, k


# --------------------------------------------------------------------------- behaviour


def quadratic(rng):
    """A convex quadratic over two named arrays: ½ xᵀAx − bᵀx with x the flattened pair."""
    n = 6
    q, _ = np.linalg.qr(rng.standard_normal((n, n)))
    a = q @ np.diag(np.linspace(1.0, 5.0, n)) @ q.T
    b = rng.standard_normal(n)

    def flat(p):
        return np.concatenate([p["w"].ravel(), p["readout.bias"]])

    def loss(p):
        x = flat(p)
        return 0.5 * x @ a @ x - b @ x

    def grad(p):
        gx = a @ flat(p) - b
        return {"w": gx[:4].reshape(2, 2), "readout.bias": gx[4:]}

    optimum = -0.5 * b @ np.linalg.solve(a, b)
    return loss, grad, optimum


@pytest.mark.parametrize("name, lr", [
    ("sgd", 0.2), ("momentum", 0.05), ("adagrad", 0.5), ("rmsprop", 0.01), ("adam", 0.05)])
def test_minimises_convex_quadratic(name, lr):
    rng = np.random.default_rng(7)
    loss, grad, optimum = quadratic(rng)
    params = {"w": 3.0 * rng.standard_normal((2, 2)), "readout.bias": 3.0 * rng.standard_normal(2)}
    opt = make_optimizer(name, lr)
    gap0 = loss(params) - optimum
    for _ in range(1000):
        opt.step(params, grad(params))
    gap = loss(params) - optimum
    assert -1e-12 * gap0 <= gap < 1e-3 * gap0  # at the optimum up to rounding


def test_step_updates_in_place_and_keeps_views():
    params = {"w": np.ones((2, 3)), "b": np.zeros(3)}
    view = params["w"][0]
    w_id = id(params["w"])
    opt = Adam(0.1)
    opt.step(params, {"w": np.ones((2, 3)), "b": np.ones(3)})
    assert id(params["w"]) == w_id
    np.testing.assert_allclose(view, 0.9)  # Adam's first step moves each entry by lr
    np.testing.assert_allclose(params["b"], -0.1)


def test_reset_forgets_state():
    params = {"w": np.zeros(3)}
    g = {"w": np.array([1.0, -2.0, 3.0])}
    opt = SGD(0.1, momentum=0.9)
    opt.step(params, g)
    opt.step(params, g)
    assert opt.state
    opt.reset()
    assert not opt.state
    before = params["w"].copy()
    opt.step(params, g)
    np.testing.assert_allclose(params["w"], before - 0.1 * g["w"])


def test_shape_mismatch_is_an_error():
    with pytest.raises(ValueError):
        SGD(0.1).step({"w": np.zeros(3)}, {"w": np.zeros(4)})


def test_registry_names_and_defaults():
    assert OPTIMIZERS == ("sgd", "momentum", "adagrad", "rmsprop", "adam")
    for name in OPTIMIZERS:
        opt = make_optimizer(name, 0.01)
        assert isinstance(opt, Optimizer)
        assert opt.name == name
    assert make_optimizer("momentum", 0.01).momentum == 0.9
    assert make_optimizer("momentum", 0.01, momentum=0.5).momentum == 0.5
    assert make_optimizer("sgd", 0.01).momentum == 0.0
    assert isinstance(make_optimizer("adagrad", 0.01), Adagrad)
    assert isinstance(make_optimizer("rmsprop", 0.01), RMSProp)


@pytest.mark.parametrize("name", ["", "Adam!", "lbfgs", None])
def test_unknown_optimizer_raises(name):
    with pytest.raises(RnnInputError, match="unknown optimizer"):
        make_optimizer(name, 0.01)


@pytest.mark.parametrize("lr", [0.0, -0.1, math.nan, math.inf, -math.inf, "fast", None])
@pytest.mark.parametrize("name", OPTIMIZERS)
def test_bad_learning_rate_raises(name, lr):
    with pytest.raises(RnnInputError, match="learning rate") as info:
        make_optimizer(name, lr)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("make", [
    lambda: SGD(0.1, momentum=1.0),
    lambda: SGD(0.1, momentum=-0.5),
    lambda: SGD(0.1, nesterov=True),
    lambda: Adagrad(0.1, eps=0.0),
    lambda: RMSProp(0.1, alpha=1.5),
    lambda: Adam(0.1, betas=(0.9, 1.0)),
    lambda: Adam(0.1, eps=math.nan),
])
def test_bad_hyperparameters_raise(make):
    with pytest.raises(RnnInputError):
        make()


# --------------------------------------------------------------------------- clipping


def test_global_norm():
    grads = {"a": np.array([3.0, 0.0]), "b": np.array([[4.0]])}
    assert global_norm(grads) == 5.0
    assert global_norm({}) == 0.0
    assert global_norm({"a": np.zeros(3)}) == 0.0
    assert math.isclose(global_norm({"a": np.full(4, 1e200)}), 2e200)  # no overflow
    assert math.isnan(global_norm({"a": np.array([1.0, math.nan, math.inf])}))
    assert global_norm({"a": np.array([1.0, -math.inf])}) == math.inf


def test_clip_by_norm_rescales_to_threshold():
    rng = np.random.default_rng(0)
    grads = random_arrays(rng, scale=10.0)
    original = {k: v.copy() for k, v in grads.items()}
    norm = global_norm(grads)
    res = clip_by_global_norm(grads, 1.0)
    assert isinstance(res, ClipResult)
    assert res.clipped and res.norm_before == pytest.approx(norm, rel=1e-14)
    assert res.norm_after == pytest.approx(1.0, rel=1e-14)
    for k in grads:
        np.testing.assert_allclose(res.grads[k], original[k] / norm, rtol=1e-14)
        np.testing.assert_array_equal(grads[k], original[k])  # input untouched
        assert res.grads[k] is not grads[k]


def test_clip_by_norm_below_threshold_is_untouched():
    grads = {"a": np.array([0.3, -0.4])}
    res = clip_by_global_norm(grads, 1.0)
    assert not res.clipped
    assert res.norm_before == res.norm_after == pytest.approx(0.5)
    np.testing.assert_array_equal(res.grads["a"], grads["a"])
    res.grads["a"][0] = 99.0  # a copy: changing it leaves the input alone
    assert grads["a"][0] == 0.3


def test_clip_by_norm_at_threshold_counts_as_clipped():
    res = clip_by_global_norm({"a": np.array([3.0, 4.0])}, 5.0)
    assert res.clipped and res.norm_after == pytest.approx(5.0)
    np.testing.assert_allclose(res.grads["a"], [3.0, 4.0])


finite = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)
grad_dicts = st.dictionaries(
    st.sampled_from(list(SHAPES) + ["readout.weight"]),
    hnp.arrays(np.float64, hnp.array_shapes(min_dims=1, max_dims=2, max_side=5), elements=finite),
    max_size=4,
)


@settings(max_examples=200, deadline=None)
@given(grads=grad_dicts, threshold=st.floats(1e-3, 1e3))
def test_clip_by_norm_property(grads, threshold):
    original = {k: v.copy() for k, v in grads.items()}
    res = clip_by_global_norm(grads, threshold)
    norm = global_norm(grads)
    assert res.norm_before == norm
    for k in grads:
        np.testing.assert_array_equal(grads[k], original[k])
    if norm >= threshold:
        assert res.clipped
        assert res.norm_after == pytest.approx(threshold, rel=1e-12)
        for k in grads:  # same direction: new = (θ/‖g‖)·old
            np.testing.assert_allclose(res.grads[k] * norm, grads[k] * threshold,
                                       rtol=1e-12, atol=1e-12 * threshold * norm)
    else:
        assert not res.clipped and res.norm_after == norm
        for k in grads:
            np.testing.assert_array_equal(res.grads[k], grads[k])


@settings(max_examples=100, deadline=None)
@given(grads=grad_dicts, threshold=st.floats(1e-3, 1e3))
def test_clip_by_value_property(grads, threshold):
    original = {k: v.copy() for k, v in grads.items()}
    res = clip_by_value(grads, threshold)
    exceeded = any(np.any(np.abs(g) > threshold) for g in grads.values())
    assert res.clipped == exceeded
    assert res.norm_before == global_norm(grads)
    assert res.norm_after == pytest.approx(global_norm(res.grads))
    for k in grads:
        np.testing.assert_array_equal(grads[k], original[k])
        assert np.all(np.abs(res.grads[k]) <= threshold)
        inside = np.abs(grads[k]) <= threshold
        np.testing.assert_array_equal(res.grads[k][inside], grads[k][inside])


def test_clip_by_value_example():
    grads = {"a": np.array([-7.0, 0.5, 2.0]), "b": np.array([[1.0, -1.0]])}
    res = clip_by_value(grads, 1.0)
    assert res.clipped
    np.testing.assert_array_equal(res.grads["a"], [-1.0, 0.5, 1.0])
    np.testing.assert_array_equal(res.grads["b"], [[1.0, -1.0]])
    np.testing.assert_array_equal(grads["a"], [-7.0, 0.5, 2.0])
    assert not clip_by_value(grads, 10.0).clipped


@pytest.mark.parametrize("mode", ["norm", "value", "none"])
@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_non_finite_gradients_pass_through_unclipped(mode, bad):
    grads = {"a": np.array([1e9, bad]), "b": np.ones(2)}
    res = clip_gradients(grads, mode, 1.0)
    assert not res.clipped
    assert not math.isfinite(res.norm_before)
    assert math.isnan(res.norm_before) == math.isnan(bad)
    np.testing.assert_array_equal(res.grads["a"], grads["a"])


def test_clip_gradients_dispatches():
    grads = {"a": np.array([3.0, -4.0])}
    none = clip_gradients(grads, "none")
    assert not none.clipped and none.norm_before == none.norm_after == 5.0
    assert none.grads["a"] is not grads["a"]
    np.testing.assert_allclose(clip_gradients(grads, "norm", 1.0).grads["a"], [0.6, -0.8])
    np.testing.assert_array_equal(clip_gradients(grads, "value", 1.0).grads["a"], [1.0, -1.0])


@pytest.mark.parametrize("mode", ["", "Norm", "clip", None])
def test_unknown_clip_mode_raises(mode):
    with pytest.raises(RnnInputError, match="clipping mode"):
        clip_gradients({"a": np.ones(2)}, mode, 1.0)


@pytest.mark.parametrize("mode", ["norm", "value"])
@pytest.mark.parametrize("threshold", [0.0, -1.0, math.nan, math.inf, None, "big"])
def test_bad_threshold_raises(mode, threshold):
    with pytest.raises(RnnInputError, match="threshold") as info:
        clip_gradients({"a": np.ones(2)}, mode, threshold)
    assert "\n" not in str(info.value)


def test_the_forget_bias_is_added_to_the_lstm_forget_rows_only():
    from rnn import NetworkSpec, init_params
    spec = NetworkSpec(cell="lstm", input_size=2, hidden_size=3, output_size=1, num_layers=2)
    plain, opened = init_params(spec, seed=4), init_params(spec, seed=4, forget_bias=1.0)
    for name in plain:
        difference = opened[name] - plain[name]
        if name.startswith("bias_ih"):
            assert np.array_equal(difference, np.r_[np.zeros(3), np.ones(3), np.zeros(6)]), name
        else:
            assert not difference.any(), name
