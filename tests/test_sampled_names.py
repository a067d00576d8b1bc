"""The names a training run samples depend on the weights it reached, not on how its updates were
sent: the same run shows the same names however its messages were cut (a window of another size
once showed other names, its last message having come without updates)."""

from explorer.config import ExplorerConfig
from explorer.jobs import compute_pass, drain, training_seed
from explorer.trainer import Side, _Run, _take, side_by_side
from rnn.optim import make_optimizer

NAMES = ExplorerConfig(task="names", seq_len=12, hidden=16, batch=8, optimizer="adam", lr=0.02)


def last_names(sent_before_the_end: bool):
    """Train 6 updates through the child's loop; the names of the run's last message, which carries
    the updates, or none when they were all sent just before it."""
    shown = drain(compute_pass(NAMES, None, None, reinitialise=True, resample=True))
    params = {name: value.copy() for name, value in shown.params.items()}
    side = Side(NAMES, params, make_optimizer(NAMES.optimizer, NAMES.lr), 0, training_seed(NAMES, 0))
    run = _Run(side, shown.batch, 0)
    for round_ in side_by_side([side], 6):
        _take([run], round_)
    if sent_before_the_end:
        run.chunk()
    return run.chunk(finished=True).samples


def test_the_same_run_samples_the_same_names_however_its_messages_were_cut():
    names = last_names(sent_before_the_end=False)
    assert last_names(sent_before_the_end=True) == names and len(names) == 5
