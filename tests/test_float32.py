"""The optional float32 precision: a network whose parameters are all float32 is computed in
float32 from end to end (half the memory), agrees with PyTorch's float32 modules to float32's
rounding, and with the float64 reference to about 1e-6; float64 stays the default."""

import numpy as np
import pytest

from rnn import NetworkSpec, init_params, run_bptt
from rnn.activations import sigmoid
from rnn.bptt import BPTT
from rnn.optim import make_optimizer
from rnn.params import with_precision
from rnn.tasks import TASKS
from rnn.training import train

T, B, I, H, O, LAYERS = 12, 3, 2, 5, 3, 2
CELLS = [("rnn", "tanh"), ("lstm", "tanh"), ("gru", "tanh")]


def problem(cell, activation, seed=0):
    spec = NetworkSpec(cell=cell, activation=activation, input_size=I, hidden_size=H, output_size=O,
                       num_layers=LAYERS)
    rng = np.random.default_rng(seed + 1)
    return spec, init_params(spec, seed=seed), rng.standard_normal((T, B, I)), rng.standard_normal((T, B, O))


def relative(a, b):
    return float(np.max(np.abs(a - b)) / np.max(np.abs(b)))


@pytest.mark.parametrize("cell, activation", CELLS)
def test_float32_parameters_compute_in_float32_close_to_the_float64_reference(cell, activation):
    spec, params, x, y = problem(cell, activation)
    exact = run_bptt(spec, params, x, y, loss_at="all")
    single = run_bptt(spec, with_precision(params, np.float32), x, y, loss_at="all")
    for name in ("h", "dh", "d_ih", "yhat", "dyhat"):
        assert getattr(single, name).dtype == np.float32, name
    assert single.h.nbytes * 2 == exact.h.nbytes
    grads32, grads64 = single.gradients(), exact.gradients()
    for name, g in grads64.items():
        assert grads32[name].dtype == np.float32
        assert relative(grads32[name], g) < 1e-5, name            # float32 carries ~7 digits
    assert single.loss == pytest.approx(exact.loss, rel=1e-6)
    assert init_params(spec)["weight_hh_l0"].dtype == np.float64  # float64 stays the default


@pytest.mark.parametrize("cell, activation", CELLS)
def test_float32_agrees_with_pytorch_float32(cell, activation):
    torch = pytest.importorskip("torch")
    spec, params, x, y = problem(cell, activation, seed=4)
    params32 = with_precision(params, np.float32)
    kw = dict(input_size=I, hidden_size=H, num_layers=LAYERS, dtype=torch.float32)
    net = {"rnn": lambda: torch.nn.RNN(nonlinearity=activation, **kw), "lstm": lambda: torch.nn.LSTM(**kw),
           "gru": lambda: torch.nn.GRU(**kw)}[cell]()
    readout = torch.nn.Linear(H, O, dtype=torch.float32)
    with torch.no_grad():
        for name, p in net.named_parameters():
            p.copy_(torch.from_numpy(params32[name]))
        readout.weight.copy_(torch.from_numpy(params32["readout.weight"]))
        readout.bias.copy_(torch.from_numpy(params32["readout.bias"]))
    out, _ = net(torch.from_numpy(x.astype(np.float32)))
    loss = 0.5 * ((readout(out) - torch.from_numpy(y.astype(np.float32))) ** 2).sum() / B
    loss.backward()
    torch_grads = {name: p.grad.numpy() for name, p in net.named_parameters()}
    torch_grads["readout.weight"], torch_grads["readout.bias"] = readout.weight.grad.numpy(), readout.bias.grad.numpy()
    record = run_bptt(spec, params32, x, y, loss_at="all")
    assert record.loss == pytest.approx(loss.item(), rel=1e-5)
    for name, g in record.gradients().items():
        assert relative(g, torch_grads[name]) < 1e-5, name


def test_stepping_in_float32_is_the_whole_pass():
    spec, params, x, y = problem("lstm", "tanh")
    params32 = with_precision(params, np.float32)
    whole = run_bptt(spec, params32, x, y, loss_at="all")
    stepper = BPTT(spec, params32, x, y, loss_at="all")
    while not stepper.done:
        stepper.step_forward() if not stepper.forward_complete else stepper.step_backward()
    for name in ("h", "c", "dh", "dc", "d_ih"):
        assert np.array_equal(getattr(stepper.record, name), getattr(whole, name)), name


def test_saturated_gates_stay_finite_in_float32():
    """σ(a) = e^a / (1 + e^a) overflows float32's e^a beyond a ≈ 88: it is capped there."""
    a = np.array([-1000.0, -90.0, 0.0, 90.0, 1000.0], dtype=np.float32)
    s = sigmoid(a)
    assert s.dtype == np.float32 and np.all(np.isfinite(s))
    assert s[-1] == 1.0 and s[-2] == 1.0 and s[2] == 0.5 and s[0] == 0.0


def test_training_in_float32_keeps_float32_and_learns():
    task = TASKS["sine"]
    spec = NetworkSpec(cell="gru", input_size=task.input_size, hidden_size=8, output_size=task.output_size)
    params = init_params(spec, seed=0, dtype=np.float32)
    losses = [u.loss for u in train(spec, params, task, make_optimizer("adam", 0.02), steps=60, seq_len=20,
                                    batch_size=8, seed=0)]
    assert all(value.dtype == np.float32 for value in params.values())
    assert np.all(np.isfinite(losses)) and np.mean(losses[-10:]) < 0.5 * np.mean(losses[:10])
