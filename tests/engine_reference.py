"""What the app must show, computed by the engine directly (shared by the session and GUI tests)."""

import numpy as np

from rnn.bptt import run_bptt
from rnn.params import init_params


def reference_batch(config):
    return config.task_object.sample(config.batch, config.seq_len, np.random.default_rng(config.seed))


def reference_record(config, params=None):
    """The engine's own whole pass for a configuration (what the session must show)."""
    spec = config.spec()
    params = init_params(spec, **config.init_options()) if params is None else params
    batch = reference_batch(config)
    return run_bptt(spec, params, batch.inputs, batch.targets, **config.pass_arguments(batch))


def reference_jacobians(state, layer):
    """‖∂s_t/∂s_{t−1}‖₂ of the selected sequence, straight from the engine's diagnostics (NaN
    beyond the steps computed forward)."""
    from rnn.cells import make_cell
    from rnn.diagnostics import jacobian_norms
    record, spec = state.record, state.config.spec()
    norms = jacobian_norms(record, make_cell(spec.cell, spec.activation), state.params, layer,
                           state.selection.batch_index)
    norms[record.forward_done:] = np.nan
    return norms
