"""An engineer's own PyTorch model, saved the usual way, through ``python -m rnn grads`` and
``gradcheck``: the gradients must be those of PyTorch autograd on the user's own module and loss,
under the file's own key names, for every supported shape of model, data and loss."""

import numpy as np
import pytest

from rnn import cli

torch = pytest.importorskip("torch")
nn = torch.nn

ROWS = {"RNN": 1, "LSTM": 4, "GRU": 3}


def build_state_dict(kind, prefix, head, I, H, O, layers, nonlinearity="tanh", bias=True, seed=0,
                     extra_heads=()):
    """A recurrent module under ``prefix`` and nn.Linear heads under their names, as a model's
    state_dict() would hold them; returns (state_dict, recurrent module, head module)."""
    torch.manual_seed(seed)
    options = dict(num_layers=layers, bias=bias)
    if kind == "RNN":
        options["nonlinearity"] = nonlinearity
    recurrent = getattr(nn, kind)(I, H, **options)
    linear = nn.Linear(H, O)
    state = {f"{prefix}{k}": v for k, v in recurrent.state_dict().items()}
    state.update({f"{head}.{k}": v for k, v in linear.state_dict().items()})
    for name, module in extra_heads:
        state.update({f"{name}.{k}": v for k, v in module.state_dict().items()})
    return state, recurrent, linear


def torch_reference(recurrent, linear, x, y, loss, loss_at, reduction, batch_first):
    """PyTorch's own loss and .grad in float64, the model run as its author would run it."""
    recurrent, linear = recurrent.double(), linear.double()
    recurrent.batch_first = batch_first
    for p in list(recurrent.parameters()) + list(linear.parameters()):
        p.grad = None
    out, _ = recurrent(torch.from_numpy(x))
    if loss_at == "last":
        out = out[:, -1] if batch_first else out[-1]
    yhat = linear(out)
    target = torch.from_numpy(y)
    if loss == "mse":
        value = nn.MSELoss(reduction=reduction)(yhat, target)
    else:
        value = nn.CrossEntropyLoss(reduction=reduction)(yhat.reshape(-1, yhat.shape[-1]), target.reshape(-1))
    value.backward()
    return value.item(), recurrent, linear


# kind, prefix, head, layers, nonlinearity, batch_first, float32, loss, loss_at, reduction
CASES = [
    ("LSTM", "rnn.", "fc", 1, "tanh", True, True, "mse", "all", "mean"),
    ("LSTM", "encoder.lstm.", "head.proj", 2, "tanh", False, False, "xent", "last", "sum"),
    ("GRU", "", "out", 3, "tanh", True, True, "xent", "all", "mean"),
    ("GRU", "model.gru.", "linear", 1, "tanh", False, True, "mse", "last", "mean"),
    ("RNN", "rnn.", "readout", 2, "tanh", False, False, "mse", "all", "sum"),
    ("RNN", "net.rnn.", "fc", 1, "relu", True, True, "xent", "last", "mean"),
    ("RNN", "", "classifier", 3, "relu", False, True, "mse", "last", "sum"),
    ("LSTM", "", "fc", 3, "tanh", True, False, "xent", "all", "sum"),
]


def write_files(folder, state, x, y):
    torch.save(state, folder / "m.pt")
    np.save(folder / "x.npy", x)
    np.save(folder / "y.npy", y)
    return ["--weights", str(folder / "m.pt"), "--inputs", str(folder / "x.npy"),
            "--targets", str(folder / "y.npy")]


def make_data(rng, I, O, T, B, loss, loss_at, batch_first):
    x = rng.standard_normal((B, T, I) if batch_first else (T, B, I))
    steps = () if loss_at == "last" else ((B, T) if batch_first else (T, B))
    if loss == "mse":
        y = rng.standard_normal(steps + (O,) if steps else (B, O))
    else:
        y = rng.integers(0, O, size=steps if steps else (B,))
    return x, y


@pytest.mark.parametrize("case", CASES, ids=["-".join(map(str, c[:4])) + f"-{c[7]}-{c[8]}-{c[9]}" for c in CASES])
def test_grads_of_a_users_model_match_pytorch_autograd(tmp_path, capsys, case):
    kind, prefix, head, layers, nonlinearity, batch_first, float32, loss, loss_at, reduction = case
    I, H, O, T, B = 3, 7, 4, 6, 5
    state, recurrent, linear = build_state_dict(kind, prefix, head, I, H, O, layers, nonlinearity)
    if not float32:
        state = {k: v.double() for k, v in state.items()}
    x, y = make_data(np.random.default_rng(1), I, O, T, B, loss, loss_at, batch_first)
    argv = ["grads", *write_files(tmp_path, state, x, y), "--out", str(tmp_path / "g.npz"),
            "--loss", loss, "--loss-at", loss_at, "--reduction", reduction]
    if batch_first:
        argv.append("--batch-first")
    if nonlinearity == "relu":
        argv += ["--cell", "relu"]
    assert cli.main(argv) == 0, capsys.readouterr().err

    value, recurrent, linear = torch_reference(recurrent, linear, x, y, loss, loss_at, reduction, batch_first)
    with np.load(tmp_path / "g.npz", allow_pickle=False) as g:
        written = {k: g[k] for k in g.files}
    assert float(written["loss"]) == pytest.approx(value, rel=1e-12)
    expected = {f"{prefix}{n}": p.grad for n, p in recurrent.named_parameters()}
    expected.update({f"{head}.{n}": p.grad for n, p in linear.named_parameters()})
    assert set(expected) <= set(written)          # every key of the file, under its own name
    for key, grad in expected.items():
        np.testing.assert_allclose(written[key], grad.numpy(), rtol=1e-9, atol=1e-12, err_msg=key)
    assert f"head {head}" in capsys.readouterr().out


def test_bias_free_modules_have_no_bias_gradients(tmp_path, capsys):
    state, recurrent, linear = build_state_dict("GRU", "rnn.", "fc", 2, 4, 2, 2, bias=False)
    linear_free = nn.Linear(4, 2, bias=False)
    linear_free.weight.data = linear.weight.data.clone()
    state = {k: v for k, v in state.items() if k != "fc.bias"}
    x, y = make_data(np.random.default_rng(2), 2, 2, 5, 3, "mse", "all", False)
    argv = ["grads", *write_files(tmp_path, state, x, y), "--out", str(tmp_path / "g.npz"),
            "--reduction", "mean"]
    assert cli.main(argv) == 0, capsys.readouterr().err
    _, recurrent, linear_free = torch_reference(recurrent, linear_free, x, y, "mse", "all", "mean", False)
    with np.load(tmp_path / "g.npz", allow_pickle=False) as g:
        keys = set(g.files)
        for n, p in recurrent.named_parameters():
            np.testing.assert_allclose(g[f"rnn.{n}"], p.grad.numpy(), rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(g["fc.weight"], linear_free.weight.grad.numpy(), rtol=1e-9, atol=1e-12)
    assert not any("bias" in k for k in keys)


def test_the_engines_own_loss_is_half_the_sum_over_steps_averaged_over_sequences(tmp_path, capsys):
    """Without --reduction: L = (1/B) Σ_t Σ_b ½‖ŷ − y‖², i.e. PyTorch's 'sum' / (2B)."""
    state, recurrent, linear = build_state_dict("LSTM", "rnn.", "fc", 2, 3, 2, 1)
    B = 4
    x, y = make_data(np.random.default_rng(3), 2, 2, 5, B, "mse", "all", False)
    argv = ["grads", *write_files(tmp_path, state, x, y), "--out", str(tmp_path / "g.npz")]
    assert cli.main(argv) == 0
    total, recurrent, _ = torch_reference(recurrent, linear, x, y, "mse", "all", "sum", False)
    with np.load(tmp_path / "g.npz", allow_pickle=False) as g:
        assert float(g["loss"]) == pytest.approx(total / (2 * B), rel=1e-12)
        np.testing.assert_allclose(g["rnn.weight_hh_l0"], recurrent.weight_hh_l0.grad.numpy() / (2 * B),
                                   rtol=1e-9, atol=1e-12)


def test_head_chooses_among_several_fitting_linear_layers(tmp_path, capsys):
    other = nn.Linear(7, 3)
    state, recurrent, linear = build_state_dict("RNN", "rnn.", "fc", 3, 7, 2, 1, extra_heads=[("aux", other)])
    x, y = make_data(np.random.default_rng(4), 3, 2, 4, 2, "mse", "all", False)
    files = write_files(tmp_path, state, x, y)
    out = tmp_path / "g.npz"
    assert cli.main(["grads", *files, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "several Linear layers could be the head (fc, aux)" in err and "--head" in err
    assert not out.exists()
    assert cli.main(["grads", *files, "--out", str(out), "--head", "fc", "--reduction", "sum"]) == 0
    assert "not used: aux.weight, aux.bias" in capsys.readouterr().out
    _, recurrent, linear = torch_reference(recurrent, linear, x, y, "mse", "all", "sum", False)
    with np.load(out, allow_pickle=False) as g:
        np.testing.assert_allclose(g["fc.weight"], linear.weight.grad.numpy(), rtol=1e-9, atol=1e-12)
        assert "aux.weight" not in g.files


def refusal(tmp_path, capsys, state, *extra):
    x, y = make_data(np.random.default_rng(5), 3, 2, 4, 2, "mse", "all", False)
    out = tmp_path / "g.npz"
    status = cli.main(["grads", *write_files(tmp_path, state, x, y), "--out", str(out), *extra])
    lines = capsys.readouterr().err.splitlines()
    assert status == 2 and len(lines) == 1 and lines[0].startswith("error: ")
    assert not out.exists()
    return lines[0]


def test_refusals_name_the_problem(tmp_path, capsys):
    good, _, _ = build_state_dict("LSTM", "rnn.", "fc", 3, 5, 2, 1)

    def with_(**changes):
        state = dict(good)
        for key, value in changes.items():
            key = key.replace("__", ".")
            if value is None:
                del state[key]
            else:
                state[key] = value
        return state

    two, _, _ = build_state_dict("GRU", "decoder.", "fc", 3, 5, 2, 1)
    several = dict(good) | {k: v for k, v in two.items() if k.startswith("decoder.")}
    assert "several recurrent modules (decoder, rnn)" in refusal(tmp_path, capsys, several)
    no_head = {k: v for k, v in good.items() if not k.startswith("fc.")}
    assert "no Linear head (an nn.Linear(5, O)" in refusal(tmp_path, capsys, no_head)
    assert "bidirectional" in refusal(tmp_path, capsys, with_(rnn__weight_ih_l0_reverse=torch.zeros(20, 3)))
    assert "proj_size" in refusal(tmp_path, capsys, with_(rnn__weight_hr_l0=torch.zeros(3, 5)))
    narrow = with_(fc__weight=torch.zeros(2, 4))
    assert "no Linear head takes the recurrent module's H = 5 units: fc (in_features 4)" in refusal(
        tmp_path, capsys, narrow)
    assert "unexpected key embed.weight_scale" in refusal(
        tmp_path, capsys, with_(embed__weight_scale=torch.zeros(3)))
    assert "no Linear layer named 'head'" in refusal(tmp_path, capsys, good, "--head", "head")
    assert "these are an LSTM's weights" in refusal(tmp_path, capsys, good, "--cell", "gru")
    five = build_state_dict("RNN", "rnn.", "fc", 3, 5, 2, 5)[0]
    assert "num_layers must be 1 to 4" in refusal(tmp_path, capsys, five)


def test_gradcheck_prints_every_parameter_under_its_file_name(tmp_path, capsys):
    state, _, _ = build_state_dict("GRU", "encoder.gru.", "head.proj", 3, 4, 2, 2)
    x, y = make_data(np.random.default_rng(6), 3, 2, 5, 3, "xent", "all", True)
    files = write_files(tmp_path, state, x, y)
    argv = ["gradcheck", *files, "--batch-first", "--loss", "xent", "--reduction", "mean", "--entries", "8"]
    assert cli.main(argv) == 0
    out = capsys.readouterr().out
    for key in state:
        row = next(line for line in out.splitlines() if line.startswith(key + " "))
        error = float(row.split()[-1])
        assert error < 1e-7, row
    assert f"{len(state)} of {len(state)} within 1e-05" in out
    # a threshold no float64 difference can meet fails, with status 1 and the rows marked
    assert cli.main(argv + ["--threshold", "1e-30"]) == 1
    assert "FAIL" in capsys.readouterr().out


def test_find_blowup_names_the_first_exploding_state(tmp_path, capsys):
    """A linear RNN with W_hh = 2 I doubles its state each step: the first |h| > 1e3 is found
    where PyTorch's own forward pass first exceeds it."""
    torch.manual_seed(7)
    recurrent = nn.RNN(2, 3, nonlinearity="relu")
    with torch.no_grad():
        recurrent.weight_hh_l0.copy_(2 * torch.eye(3))
        recurrent.bias_ih_l0.fill_(0.5)
        recurrent.bias_hh_l0.zero_()
    state = {f"rnn.{k}": v for k, v in recurrent.state_dict().items()}
    state.update({f"fc.{k}": v for k, v in nn.Linear(3, 1).state_dict().items()})
    x = np.abs(np.random.default_rng(8).standard_normal((20, 2, 2)))
    y = np.zeros((20, 2, 1))
    files = write_files(tmp_path, state, x, y)
    assert cli.main(["grads", *files, "--out", str(tmp_path / "g.npz"), "--cell", "relu",
                     "--find-blowup", "1e3"]) == 0
    line = capsys.readouterr().out.splitlines()[0]
    h, _ = recurrent.double()(torch.from_numpy(x))
    exceeds = np.argwhere(np.abs(h.detach().numpy()) > 1e3)      # (t, b, unit), in C order
    t, b, unit = exceeds[0]
    assert line.startswith(f"forward: h first blows up at t = {t}, layer 0, sequence {b}, unit {unit}: ")
    assert float(line.rsplit(": ", 1)[1]) == pytest.approx(h[t, b, unit].item(), rel=1e-5)  # 6 digits

    # a pass that overflows to Inf: said where, exit status 1, nothing written
    with torch.no_grad():
        recurrent.weight_hh_l0.copy_(1e100 * torch.eye(3, dtype=torch.float64))
    state["rnn.weight_hh_l0"] = recurrent.weight_hh_l0.detach().clone()
    files = write_files(tmp_path, state, x, y)
    assert cli.main(["grads", *files, "--out", str(tmp_path / "g2.npz"), "--cell", "relu",
                     "--find-blowup"]) == 1
    captured = capsys.readouterr()
    assert captured.out.startswith("forward: h first blows up at t = 1, layer 0")
    assert "overflowed" in captured.err and not (tmp_path / "g2.npz").exists()


def test_training_on_pytorchs_sum_reports_and_follows_that_loss(capsys):
    """train(reduction="sum"): the first update's loss (before any step) is nn.MSELoss(sum) of the
    batch, 2B times the engine's ½-loss averaged over sequences; the CLI takes --reduction."""
    from rnn.optim import make_optimizer
    from rnn.params import NetworkSpec, init_params
    from rnn.tasks import get_task
    from rnn.training import train
    spec, B = NetworkSpec(input_size=2, hidden_size=5, output_size=1), 6
    first = {}
    for reduction in ("engine", "sum"):
        update = next(train(spec, init_params(spec, seed=1), get_task("adding"), make_optimizer("sgd", 0.01),
                            steps=1, seq_len=8, batch_size=B, reduction=reduction))
        first[reduction] = update
    assert first["sum"].loss == pytest.approx(2 * B * first["engine"].loss, rel=1e-12)
    assert first["sum"].grad_norm == pytest.approx(2 * B * first["engine"].grad_norm, rel=1e-12)
    assert cli.main(["train", "--task", "adding", "--steps", "3", "--reduction", "mean"]) == 0
