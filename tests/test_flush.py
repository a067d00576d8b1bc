"""An adjoint that vanishes over a long sequence is flushed to 0 before it becomes subnormal (whose
arithmetic is 40–150× slower), and the gradients stay those of autograd."""

import numpy as np
import pytest

from rnn import NetworkSpec, init_params, run_bptt
from rnn.flush import flush_vanished
from rnn.gradcheck import relative_error


def subnormal_count(values) -> int:
    values = np.asarray(values)
    return int(np.count_nonzero((values != 0) & (np.abs(values) < np.finfo(values.dtype).tiny)))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_only_entries_that_have_all_but_vanished_are_flushed(dtype):
    tiny = float(np.finfo(dtype).tiny)
    bound = 2.0 ** (64 if dtype == np.float64 else 32) * tiny     # 19 (float64) or 9 (float32) decades above subnormal
    values = np.array([1.0, -3e-5, bound * 2, bound / 2, -bound / 2, tiny / 4, 0.0], dtype)
    kept = values.copy()
    flush_vanished(values)
    np.testing.assert_array_equal(values, [*kept[:3], 0, 0, 0, 0])


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_a_vanishing_gradient_leaves_no_subnormal_adjoint_and_matches_autograd(cell):
    torch = pytest.importorskip("torch")
    T, B, H = 1500, 3, 8
    spec = NetworkSpec(cell=cell, input_size=2, hidden_size=H, output_size=1)
    params = init_params(spec, seed=0)
    params["weight_hh_l0"] *= 0.05                   # a gradient that vanishes long before step 0
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(T, B, 2)), rng.normal(size=(T, B, 1))
    record = run_bptt(spec, params, x, y, loss_at="last", with_sensitivity=False)
    for name in ("dh", "dc", "d_ih", "d_hh"):
        if getattr(record, name) is not None:
            assert subnormal_count(getattr(record, name)) == 0, name
    vanished = np.all(record.dh[0] == 0, axis=(1, 2))                  # steps the gradient no longer reaches
    assert vanished[:20].all() and not vanished[-1]

    module = {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[cell](2, H, dtype=torch.float64)
    readout = torch.nn.Linear(H, 1, dtype=torch.float64)
    with torch.no_grad():
        for name, p in module.named_parameters():
            p.copy_(torch.from_numpy(params[name]))
        readout.weight.copy_(torch.from_numpy(params["readout.weight"]))
        readout.bias.copy_(torch.from_numpy(params["readout.bias"]))
    out, _ = module(torch.from_numpy(x))
    loss = 0.5 * ((readout(out[-1]) - torch.from_numpy(y[-1])) ** 2).sum() / B
    loss.backward()
    grads = record.gradients()
    for name, p in module.named_parameters():
        assert relative_error(grads[name], p.grad.numpy()) < 1e-12, name
