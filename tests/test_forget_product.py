"""The LSTM's cell-state path in the PassResult: the forget-gate product ∏_{k=t+1}^{T_last} f_k and
the mean f_t, against forget gates computed independently by PyTorch's nn.LSTMCell (float64, the
same weights), stepping it by hand through both layers."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from rnn import BPTT, NetworkSpec, init_params  # noqa: E402
from rnn.diagnostics import regime  # noqa: E402
from rnn.passresult import summarise  # noqa: E402
from rnn.truncation import Truncation  # noqa: E402

T, B, I, H, O, LAYERS = 7, 3, 2, 5, 2, 2


def lstm_problem(seed=3, forget_bias=1.0):
    spec = NetworkSpec(cell="lstm", input_size=I, hidden_size=H, output_size=O, num_layers=LAYERS)
    params = init_params(spec, seed=seed)
    for layer in range(LAYERS):                      # forget gates open a little, as trained ones are
        params[f"bias_hh_l{layer}"][H:2 * H] += forget_bias
    rng = np.random.default_rng(seed)
    inputs = rng.standard_normal((T, B, I))
    targets = rng.standard_normal((T, B, O))
    h0 = 0.5 * rng.standard_normal((LAYERS, B, H))
    c0 = 0.5 * rng.standard_normal((LAYERS, B, H))
    return spec, params, inputs, targets, h0, c0


def torch_forget_gates(params, inputs, h0, c0):
    """f_t of every layer, (layers, T, B, H): nn.LSTMCell stepped by hand layer by layer, its forget
    gate σ(W_if x_t + b_if + W_hf h_{t−1} + b_hf) taken from the cell's own weights and the state
    torch carried (gate rows i, f, g, o)."""
    forget = np.empty((LAYERS, T, B, H))
    layer_inputs = torch.from_numpy(inputs)
    for layer in range(LAYERS):
        cell = torch.nn.LSTMCell(I if layer == 0 else H, H, dtype=torch.float64)
        with torch.no_grad():
            for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
                getattr(cell, name).copy_(torch.from_numpy(params[f"{name}_l{layer}"]))
            h, c = torch.from_numpy(h0[layer]), torch.from_numpy(c0[layer])
            outputs = []
            for t in range(T):
                x = layer_inputs[t]
                a_f = (x @ cell.weight_ih[H:2 * H].T + cell.bias_ih[H:2 * H]
                       + h @ cell.weight_hh[H:2 * H].T + cell.bias_hh[H:2 * H])
                forget[layer, t] = torch.sigmoid(a_f).numpy()
                h, c = cell(x, (h, c))
                outputs.append(h)
            layer_inputs = torch.stack(outputs)
    return forget


def product_to(forget, last, best=False):
    """(layers, T) ∏_{k=t+1}^{last} f_k by a plain loop, averaged over the batch and the units (or,
    ``best``, over the batch, the largest over the units); NaN after last."""
    out = np.full(forget.shape[:2], np.nan)
    for layer in range(forget.shape[0]):
        for t in range(last + 1):
            product = np.ones((B, H))
            for k in range(t + 1, last + 1):
                product = product * forget[layer, k]
            out[layer, t] = max(product[:, i].mean() for i in range(H)) if best else product.mean()
    return out


def summarised(loss_at, truncation=Truncation(), **problem):
    spec, params, inputs, targets, h0, c0 = lstm_problem(**problem)
    stepper = BPTT(spec, params, inputs, targets, loss_at=loss_at, truncation=truncation, h0=h0, c0=c0)
    stepper.finish()
    return summarise(stepper, regime(params, spec)), params, inputs, h0, c0


@pytest.mark.parametrize("loss_at", ["all", "last"])
def test_the_forget_product_is_that_of_torchs_forget_gates(loss_at):
    result, params, inputs, h0, c0 = summarised(loss_at)
    forget = torch_forget_gates(params, inputs, h0, c0)
    assert 0.3 < forget.min() and forget.max() < 0.99          # (a product that neither is 1 nor vanishes)
    np.testing.assert_allclose(result.forget_mean, forget.mean(axis=(2, 3)), rtol=1e-12, atol=0)
    np.testing.assert_allclose(result.forget_product, product_to(forget, T - 1), rtol=1e-12, atol=0)
    np.testing.assert_allclose(result.forget_product_best, product_to(forget, T - 1, best=True), rtol=1e-12, atol=0)
    for product in (result.forget_product, result.forget_product_best):
        assert np.all(product[:, -1] == 1.0)                     # ∏f at the loss step is 1 …
        assert np.all(np.diff(product, axis=1) > 0)              # … and falls going back
    assert np.all(result.forget_product_best[:, :-1] > result.forget_product[:, :-1])


def test_the_product_ends_at_the_last_step_that_carries_a_loss():
    mask = np.zeros(T)
    mask[[1, 4]] = 1.0                                        # losses at t = 1 and 4 only
    result, params, inputs, h0, c0 = summarised(mask)
    forget = torch_forget_gates(params, inputs, h0, c0)
    expected = product_to(forget, 4)
    np.testing.assert_allclose(result.forget_product[:, :5], expected[:, :5], rtol=1e-12, atol=0)
    np.testing.assert_allclose(result.forget_product_best[:, :5], product_to(forget, 4, best=True)[:, :5],
                               rtol=1e-12, atol=0)
    assert np.all(np.isnan(result.forget_product[:, 5:]))      # no loss later: nothing to carry to
    assert np.all(np.isnan(result.forget_product_best[:, 5:]))


def test_a_product_over_more_steps_than_a_block_is_the_same(monkeypatch):
    """The product runs a block of steps at a time: the blocks change no number."""
    import rnn.passresult as passresult
    whole = summarised("last")[0]
    monkeypatch.setattr(passresult, "FORGET_BLOCK_FLOATS", 2 * B * H)     # two steps a block
    blocks = summarised("last")[0]
    np.testing.assert_allclose(blocks.forget_product, whole.forget_product, rtol=1e-13, atol=0)
    np.testing.assert_allclose(blocks.forget_product_best, whole.forget_product_best, rtol=1e-13, atol=0)


def test_stepping_by_hand_knows_each_f_once_computed_and_the_product_once_T_last_is():
    spec, params, inputs, targets, h0, c0 = lstm_problem()
    stepper = BPTT(spec, params, inputs, targets, loss_at="last", truncation=Truncation("tbptt", 3, 3),
                   h0=h0, c0=c0)
    reg = regime(params, spec)
    forget = torch_forget_gates(params, inputs, h0, c0)
    result = summarise(stepper, reg)
    assert np.all(np.isnan(result.forget_mean)) and np.all(np.isnan(result.forget_product))
    while not stepper.done:
        touched = [stepper.step_forward()] if not stepper.forward_complete else [stepper.step_backward()[1]]
        result = summarise(stepper, reg, previous=result, steps=touched)
        done = stepper.forward_done
        np.testing.assert_allclose(result.forget_mean[:, :done], forget[:, :done].mean(axis=(2, 3)), rtol=1e-12)
        assert np.all(np.isnan(result.forget_mean[:, done:]))
        if done < T:                                      # f_{T−1} not computed: the product is not known
            assert np.all(np.isnan(result.forget_product)) and np.all(np.isnan(result.forget_product_best))
        else:
            np.testing.assert_allclose(result.forget_product, product_to(forget, T - 1), rtol=1e-12, atol=0)
    fresh = summarise(stepper, reg)
    assert np.array_equal(result.forget_product, fresh.forget_product)
    assert np.array_equal(result.forget_product_best, fresh.forget_product_best)
    assert np.array_equal(result.forget_mean, fresh.forget_mean)


@pytest.mark.parametrize("cell", ["rnn", "gru"])
def test_cells_without_a_cell_state_have_no_forget_path(cell):
    spec = NetworkSpec(cell=cell, input_size=I, hidden_size=H, output_size=O, num_layers=LAYERS)
    params = init_params(spec, seed=0)
    rng = np.random.default_rng(0)
    stepper = BPTT(spec, params, rng.standard_normal((T, B, I)), rng.standard_normal((T, B, O)))
    stepper.finish()
    result = summarise(stepper, regime(params, spec))
    assert result.forget_mean is None and result.forget_product is None and result.forget_product_best is None
    assert result.dc_norm_sequence.shape == (LAYERS, T, B) and np.all(np.isnan(result.dc_norm_sequence))
