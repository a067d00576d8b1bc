"""Parity with PyTorch autograd (float64): losses, every gradient, states, and ∂L/∂h0.

Truncation by detaching the state every k steps is TBPTT(k, k) in the engine.
"""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from rnn import NetworkSpec, Truncation, init_params, run_bptt  # noqa: E402
from rnn.gradcheck import relative_error  # noqa: E402

T, B, I, H, O, LAYERS = 10, 3, 2, 4, 3, 2
K = 3          # chunk length: 10 = 3 + 3 + 3 + 1, so the last chunk is partial
TOL = 1e-10

NETWORKS = {
    "rnn-tanh": ("rnn", "tanh"),
    "rnn-relu": ("rnn", "relu"),
    "lstm": ("lstm", "tanh"),
    "gru": ("gru", "tanh"),
}
LOSSES = ["mse-all", "mse-last", "xent"]


@pytest.fixture(autouse=True, scope="module")
def single_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def torch_module(cell, activation):
    kw = dict(input_size=I, hidden_size=H, num_layers=LAYERS, dtype=torch.float64)
    if cell == "rnn":
        return torch.nn.RNN(nonlinearity=activation, **kw)
    return {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[cell](**kw)


def problem(cell, activation, loss_name, seed=0):
    spec = NetworkSpec(cell=cell, activation=activation, input_size=I, hidden_size=H,
                       output_size=O, num_layers=LAYERS)
    params = init_params(spec, seed=seed)
    rng = np.random.default_rng(seed + 100)
    inputs = rng.standard_normal((T, B, I))
    h0 = 0.5 * rng.standard_normal((LAYERS, B, H))
    c0 = 0.5 * rng.standard_normal((LAYERS, B, H)) if cell == "lstm" else None
    if loss_name == "xent":
        targets = rng.integers(0, O, (T, B))
    else:
        targets = rng.standard_normal((T, B, O))
    loss, loss_at = {"mse-all": ("mse", "all"), "mse-last": ("mse", "last"),
                     "xent": ("xent", "all")}[loss_name]
    return spec, params, inputs, targets, loss, loss_at, h0, c0


def torch_run(cell, activation, params, inputs, targets, loss_name, h0, c0, chunk=None):
    """Autograd through nn.RNN/LSTM/GRU + nn.Linear; the state is detached every ``chunk`` steps.

    Returns (loss, gradients by our names, h0 leaf, c0 leaf, top-layer outputs, final (h_n, c_n)).
    """
    net = torch_module(cell, activation)
    readout = torch.nn.Linear(H, O, dtype=torch.float64)
    with torch.no_grad():
        for name, p in net.named_parameters():
            p.copy_(torch.from_numpy(params[name]))
        readout.weight.copy_(torch.from_numpy(params["readout.weight"]))
        readout.bias.copy_(torch.from_numpy(params["readout.bias"]))
    x = torch.from_numpy(inputs)
    h0_leaf = torch.tensor(h0, requires_grad=True)
    c0_leaf = None if c0 is None else torch.tensor(c0, requires_grad=True)
    state = h0_leaf if c0 is None else (h0_leaf, c0_leaf)
    chunk = chunk or T
    outputs = []
    for start in range(0, T, chunk):
        if start > 0:     # truncation: the state entering a chunk is a constant
            state = state.detach() if c0 is None else tuple(s.detach() for s in state)
        out, state = net(x[start:start + chunk], state)
        outputs.append(out)
    out = torch.cat(outputs)
    yhat = readout(out)
    if loss_name == "xent":
        y = torch.from_numpy(targets)
        loss = torch.nn.functional.cross_entropy(yhat.reshape(-1, O), y.reshape(-1), reduction="sum") / B
    else:
        y = torch.from_numpy(targets)
        steps = slice(None) if loss_name == "mse-all" else slice(T - 1, T)
        loss = 0.5 * ((yhat[steps] - y[steps]) ** 2).sum() / B
    loss.backward()
    grads = {name: p.grad.numpy() for name, p in net.named_parameters()}
    grads["readout.weight"] = readout.weight.grad.numpy()
    grads["readout.bias"] = readout.bias.grad.numpy()
    return loss.item(), grads, h0_leaf, c0_leaf, out.detach().numpy(), state


def torch_states(cell, activation, params, inputs, h0, c0):
    """Every layer's h_t (and c_t) from torch, one step at a time: (layers, T, B, H)."""
    net = torch_module(cell, activation)
    with torch.no_grad():
        for name, p in net.named_parameters():
            p.copy_(torch.from_numpy(params[name]))
        state = torch.from_numpy(h0) if c0 is None else (torch.from_numpy(h0), torch.from_numpy(c0))
        hs, cs = [], []
        for t in range(T):
            _, state = net(torch.from_numpy(inputs[t:t + 1]), state)
            hs.append((state if c0 is None else state[0]).numpy().copy())
            if c0 is not None:
                cs.append(state[1].numpy().copy())
    h = np.stack(hs, axis=1)
    return h, (np.stack(cs, axis=1) if cs else None)


@pytest.mark.parametrize("loss_name", LOSSES)
@pytest.mark.parametrize("network", NETWORKS)
@pytest.mark.parametrize("chunked", [False, True], ids=["full", f"detach-every-{K}"])
def test_gradients_loss_and_states_match_torch(network, loss_name, chunked):
    cell, activation = NETWORKS[network]
    spec, params, inputs, targets, loss, loss_at, h0, c0 = problem(cell, activation, loss_name)
    truncation = Truncation.every(K) if chunked else Truncation()
    rec = run_bptt(spec, params, inputs, targets, loss=loss, loss_at=loss_at, truncation=truncation,
                   h0=h0, c0=c0)
    t_loss, t_grads, h0_leaf, c0_leaf, t_out, t_final = torch_run(
        cell, activation, params, inputs, targets, loss_name, h0, c0, chunk=K if chunked else None)

    assert rec.loss == pytest.approx(t_loss, rel=TOL, abs=0)
    grads = rec.gradients()
    assert set(grads) == set(t_grads)
    for name, g in grads.items():
        assert g.shape == t_grads[name].shape
        assert np.linalg.norm(t_grads[name]) > 0, name
        assert relative_error(g, t_grads[name]) < TOL, name

    # states: top layer at every step, and every layer's final state
    np.testing.assert_allclose(rec.h[-1], t_out, rtol=0, atol=1e-12)
    final_h = t_final if c0 is None else t_final[0]
    np.testing.assert_allclose(rec.h[:, -1], final_h.detach().numpy(), rtol=0, atol=1e-12)
    if c0 is not None:
        np.testing.assert_allclose(rec.c[:, -1], t_final[1].detach().numpy(), rtol=0, atol=1e-12)

    # ∂L/∂h0 (and ∂L/∂c0) are autograd's h0.grad (c0.grad); when chunked only the first chunk,
    # whose window reaches h0, contributes in both (nothing for a loss at the last step only)
    def grad_of(leaf):
        return np.zeros((LAYERS, B, H)) if leaf.grad is None else leaf.grad.numpy()

    assert (np.linalg.norm(rec.dh0) > 0) == (not chunked or loss_name != "mse-last")
    assert relative_error(rec.dh0, grad_of(h0_leaf)) < TOL
    if c0 is not None:
        assert relative_error(rec.dc0, grad_of(c0_leaf)) < TOL


@pytest.mark.parametrize("network", NETWORKS)
def test_every_layer_state_matches_torch(network):
    cell, activation = NETWORKS[network]
    spec, params, inputs, targets, loss, loss_at, h0, c0 = problem(cell, activation, "mse-all", seed=4)
    rec = run_bptt(spec, params, inputs, targets, h0=h0, c0=c0)
    h, c = torch_states(cell, activation, params, inputs, h0, c0)
    np.testing.assert_allclose(rec.h, h, rtol=0, atol=1e-12)
    if c is not None:
        np.testing.assert_allclose(rec.c, c, rtol=0, atol=1e-12)


def test_chunked_truncation_differs_from_full():
    """The chunked comparison above is not vacuous: detaching changes the gradient."""
    spec, params, inputs, targets, loss, loss_at, h0, c0 = problem("rnn", "tanh", "mse-all")
    full = run_bptt(spec, params, inputs, targets, h0=h0).gradients()
    chunked = run_bptt(spec, params, inputs, targets, h0=h0, truncation=Truncation.every(K)).gradients()
    assert relative_error(full["weight_hh_l0"], chunked["weight_hh_l0"]) > 1e-3


GATE_ROWS = {"lstm": (0, 1, 3), "gru": (0, 1)}      # the σ gates: i, f, o and r, z


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_steeper_gates_are_pytorch_cells_with_scaled_gate_rows(cell):
    """σ(β(W x + b)) = σ((βW) x + βb): a cell with gate steepness β equals PyTorch's cell whose
    σ-gate rows of every weight and bias are multiplied by β, and by the chain rule our gradient of
    those rows is β times PyTorch's gradient of the scaled ones (other rows: equal)."""
    beta = 2.5
    spec, params, inputs, targets, loss, loss_at, h0, c0 = problem(cell, "tanh", "mse-all")
    steep = NetworkSpec(cell=cell, activation="tanh", input_size=I, hidden_size=H, output_size=O,
                        num_layers=LAYERS, gate_steepness=beta)
    rec = run_bptt(steep, params, inputs, targets, loss=loss, loss_at=loss_at, h0=h0, c0=c0)
    scaled = {name: value.copy() for name, value in params.items()}
    factor = {}
    for name, value in scaled.items():
        if name.startswith(("weight_", "bias_")):
            rows = np.ones(value.shape[0])
            for gate in GATE_ROWS[cell]:
                rows[gate * H:(gate + 1) * H] = beta
            scaled[name] = value * (rows[:, None] if value.ndim == 2 else rows)
            factor[name] = rows[:, None] if value.ndim == 2 else rows
    t_loss, t_grads, *_ , t_out, _ = torch_run(cell, "tanh", scaled, inputs, targets, "mse-all", h0, c0)
    assert rec.loss == pytest.approx(t_loss, rel=TOL, abs=0)
    np.testing.assert_allclose(rec.h[-1], t_out, rtol=0, atol=1e-12)
    for name, g in rec.gradients().items():
        expected = t_grads[name] * factor.get(name, 1.0)
        assert relative_error(g, expected) < TOL, name


@pytest.mark.parametrize("loss_name", LOSSES)
@pytest.mark.parametrize("network", NETWORKS)
@pytest.mark.parametrize("chunked", [False, True], ids=["full", f"detach-every-{K}"])
def test_a_lean_pass_in_segments_matches_torch(network, loss_name, chunked):
    """The lean pass (checkpoints every few steps, each segment computed again for the backward
    pass) gives PyTorch's loss, gradients and ∂L/∂h0 with segments that cut the sequence unevenly."""
    from rnn.lean import run_lean
    cell, activation = NETWORKS[network]
    spec, params, inputs, targets, loss, loss_at, h0, c0 = problem(cell, activation, loss_name, seed=3)
    truncation = Truncation.every(K) if chunked else Truncation()
    lean = run_lean(spec, params, inputs, targets, loss=loss, loss_at=loss_at, truncation=truncation,
                    h0=h0, c0=c0, segment=2 * K if chunked else 4)          # 10 = 4 + 4 + 2 or 6 + 4
    assert len(lean.starts) - 1 == (2 if chunked else 3)
    t_loss, t_grads, h0_leaf, c0_leaf, _, _ = torch_run(
        cell, activation, params, inputs, targets, loss_name, h0, c0, chunk=K if chunked else None)
    assert lean.loss == pytest.approx(t_loss, rel=TOL, abs=0)
    for name, g in lean.gradients().items():
        assert relative_error(g, t_grads[name]) < TOL, name
    assert relative_error(lean.dh0, h0_leaf.grad.numpy()) < TOL
    if c0 is not None:
        assert relative_error(lean.dc0, c0_leaf.grad.numpy()) < TOL
