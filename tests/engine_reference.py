"""What the window must show, computed by the engine directly (shared by the GUI tests)."""

import numpy as np

from rnn.bptt import run_bptt
from rnn.params import init_params


def reference_record(config, params=None):
    """The engine's own whole pass for a configuration (what the state must show)."""
    spec, task = config.spec(), config.task_object
    params = init_params(spec, **config.init_options()) if params is None else params
    batch = task.sample(config.batch, config.seq_len, np.random.default_rng(config.seed))
    loss_at = batch.loss_mask if config.loss_at == "task" else config.loss_at
    return run_bptt(spec, params, batch.inputs, batch.targets, loss=task.loss, loss_at=loss_at,
                    truncation=config.truncation_rule(), seed=config.seed)
