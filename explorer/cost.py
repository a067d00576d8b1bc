"""How long a recorded pass will take, estimated before it runs, so that small passes run at once
and large ones go off the GUI thread in chunks that can be cancelled."""

from rnn.memory import memory_budget, pass_bytes
from rnn.passresult import jacobians_affordable

from .config import ExplorerConfig

SYNC_LIMIT_MS = 20.0          # passes estimated below this run on the calling thread
CHUNK_SECONDS = 0.04          # a pass job yields (a cancellation point) about this often
SENSITIVITY_LIMIT = 3e9       # loss steps·T·B·G·H² above this (≈ 0.2 s): no sensitivity matrix


def _sizes(config: ExplorerConfig):
    spec = config.spec()
    return config.seq_len, config.batch, config.layers, spec.gates, config.hidden


def loss_rows(config: ExplorerConfig) -> int:
    """How many steps can carry a loss (the sensitivity matrix has a row for each)."""
    if config.loss_at == "last":
        return 1
    if config.loss_at == "task" and config.task in ("delayed_recall", "adding"):  # loss at the last step
        return 1
    return config.seq_len


def sensitivity_affordable(config: ExplorerConfig) -> bool:
    """Whether a pass computes the sensitivity matrix: quick enough, and within the memory budget."""
    T, B, L, G, H = _sizes(config)
    return (T * loss_rows(config) * B * G * H * H <= SENSITIVITY_LIMIT and
            pass_bytes(config.spec(), T, B, True, loss_rows(config)) <= memory_budget())


def config_jacobians_affordable(config: ExplorerConfig) -> bool:
    return jacobians_affordable(config.seq_len, config.layers, config.hidden, config.cell == "lstm")


def estimate_ms(config: ExplorerConfig, fresh_params: bool = True) -> float:
    """Rough wall time of one recorded pass: forward, backward, sensitivity matrix, per-step
    Jacobian norms and, for new weights, the regime (ρ and σ_max of every W_hh block)."""
    T, B, L, G, H = _sizes(config)
    ms = T * L * (0.05 if G == 1 else 0.1) + 6e-7 * T * B * L * G * H * H
    if sensitivity_affordable(config):
        ms += 6e-8 * T * loss_rows(config) * B * G * H * H
    if config_jacobians_affordable(config):
        size = 2 * H if G == 4 else H
        ms += 1.1e-6 * T * L * size ** 3
    if fresh_params:
        ms += 3.2e-6 * L * G * H ** 3
    return ms


def pass_chunk_steps(config: ExplorerConfig) -> int:
    """Timesteps a pass job computes between two yields: about CHUNK_SECONDS of work."""
    T, B, L, G, H = _sizes(config)
    per_step_ms = 5e-6 * B * L * G * H * H + 0.02 * L
    return max(1, min(T, int(CHUNK_SECONDS * 1e3 / per_step_ms)))
