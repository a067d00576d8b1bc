"""The engine work the session runs: a recorded pass as a generator job (each ``yield`` a point
where it can be cancelled), sampled names, and the seed of a training run. No Qt here: a job runs
on a worker thread of the window, in the training process, or drained on the caller's thread."""

from dataclasses import dataclass, replace

import numpy as np

from rnn.bptt import BPTT
from rnn.diagnostics import block_spectra, regime
from rnn.lean import lean_pass, shown_sequence, summarise_lean
from rnn.params import init_params, with_precision
from rnn.passresult import PassResult, summarise
from rnn.sampling import sample_text
from rnn.tasks import baseline_loss

from .comparison import compared_config
from .config import ExplorerConfig
from .cost import pass_chunk_steps, sensitivity_affordable

N_SAMPLES = 5


@dataclass(frozen=True)
class ComputedPass:
    """A pass job's result: the configuration, weights and batch it was computed for, the stepper
    (to step on from; None once it has crossed a process boundary, where a complete pass needs
    none, and for a lean pass, which cannot be stepped), its :class:`PassResult` and the loss of the best constant guess for its task and length
    (measured here: 4096 sequences of T steps take the GUI thread 10–20 ms at T = 200)."""
    config: ExplorerConfig
    params: dict
    batch: object
    stepper: BPTT | None
    result: PassResult
    reinitialised: bool
    baseline: float
    compared: "ComputedPass | None" = None   # side B's pass on the same batch (an A/B comparison)


def new_stepper(config: ExplorerConfig, params: dict, batch) -> BPTT:
    """The engine's stepper for a configuration, its weights and its batch, at step 0."""
    return BPTT(config.spec(), params, batch.inputs, batch.targets, **config.pass_arguments(batch),
                with_sensitivity=sensitivity_affordable(config))


def step_job(stepper: BPTT, forward: int, visits: int, chunk: int):
    """Job: step ``stepper`` to ``forward`` timesteps and then ``visits`` backward visits, ``chunk``
    steps between yields; returns it."""
    while stepper.forward_done < forward:
        stepper.forward_steps(min(chunk, forward - stepper.forward_done))
        yield
    if stepper.forward_complete:
        while stepper.visits_done < visits and not stepper.backward_complete:
            stepper.backward_steps(min(chunk, visits - stepper.visits_done))
            yield
    return stepper


def drain(generator, on_progress=None):
    """Run a job's generator to the end on this thread; return its result. What it yields besides
    None goes to ``on_progress`` (if given)."""
    with np.errstate(all="ignore"):
        while True:
            try:
                item = next(generator)
            except StopIteration as stop:
                return stop.value
            if item is not None and on_progress is not None:
                on_progress(item)


def compute_pass(config: ExplorerConfig, params: dict | None, batch, *, reinitialise: bool = False,
                 resample: bool = False, run: bool = True, sequence: int = 0, regime_=None,
                 spectra=block_spectra):
    """Job: (re)initialise and (re)sample as asked, build the stepper, run it to the end (unless
    ``run`` is False) and summarise it. ``regime_``: the regime of ``params`` if already known;
    ``spectra``: what measures σ_max and ρ of the W_hh blocks for it (see :func:`regime`)."""
    spec, task = config.spec(), config.task_object
    fresh = reinitialise or params is None
    if fresh:
        params = init_params(spec, **config.init_options())
        yield
    if resample or batch is None:
        batch = task.sample(config.batch, config.seq_len, np.random.default_rng(config.seed))
        yield
    params = with_precision(params, config.dtype)   # (loaded, restored or kept weights: the chosen precision)
    lean = config.kept_as_checkpoints()
    if lean:                                        # too long to record whole: no stepper to step on
        stepper = None
        kept = yield from lean_pass(spec, params, batch.inputs, batch.targets, **config.pass_arguments(batch))
    else:
        stepper = new_stepper(config, params, batch)
    if run and not lean:
        steps = pass_chunk_steps(config)
        while not stepper.forward_complete:
            stepper.forward_steps(steps)
            yield
        while not stepper.backward_complete:
            stepper.backward_steps(steps)
            yield
    if regime_ is None or fresh:
        regime_ = regime(params, spec, spectra)
    baseline = baseline_loss(config.task, int(config.seq_len), config.loss_at, config.reduction,
                             int(config.inputs), int(config.classes))
    result = summarise_lean(kept, regime_, sequence) if lean else summarise(stepper, regime_, sequence)
    return ComputedPass(config, params, batch, stepper, result, fresh, baseline)


def lean_sequence_job(result: PassResult, sequence: int):
    """Job: a lean pass's result showing another sequence (its whole recording computed again)."""
    yield
    return shown_sequence(result, sequence)


def already(computed: ComputedPass):
    """Job: a pass already computed (nothing to do; :func:`with_compared` adds side B to it)."""
    return computed
    yield                               # (a generator, as every job)


def with_compared(job, changes: dict, params: dict | None, config: ExplorerConfig, *, sequence: int = 0,
                  spectra=block_spectra):
    """Job: ``job`` (a pass of side A), then side B's pass on the batch A's used. B's configuration
    is A's with B's ``changes``; B draws fresh weights when A did or when a field of B's network
    changed from ``config`` (the same seed: the same weights), else keeps its ``params``."""
    computed = yield from job()
    b_config = compared_config(computed.config, changes)
    fresh = computed.reinitialised or params is None or b_config.needs_new_weights(config)
    b = yield from compute_pass(b_config, None if fresh else params, computed.batch, reinitialise=fresh,
                                sequence=sequence, spectra=spectra)
    return replace(computed, compared=b)


def sample_names(spec, params, task, seed: int, temperature: float = 1.0, n: int = N_SAMPLES) -> list:
    """``n`` names drawn letter by letter from p = softmax(ŷ_t / τ), τ = ``temperature``."""
    rng = np.random.default_rng(seed)
    with np.errstate(all="ignore"):
        return [sample_text(spec, params, task, rng, temperature=temperature, max_length=task.default_seq_len)
                for _ in range(n)]


def training_seed(config: ExplorerConfig, start_step: int) -> int:
    """Batches for updates start_step+1… come from this seed: a resumed run draws fresh batches."""
    return int((config.seed * 1_000_003 + start_step * 7919) % 2**31)
