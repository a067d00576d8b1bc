"""Live training in a child process.

A training thread shares the GIL with the GUI: every redraw stalls training and, worse, training
takes the GIL back at every call the GUI makes into Qt, stretching a 10 ms redraw tenfold. A child
process has a core of its own; the window only receives what it draws. The child runs the engine's
own loop, :func:`rnn.training.train`, so a run is identical to the same run on a thread.

The child is started with ``spawn`` (``fork`` is unsafe under Qt's threads), which imports the
program's main module again: a script that opens the window must guard its entry point with
``if __name__ == "__main__":``, as ``main.py`` does.
"""

import multiprocessing
import time
import traceback
from dataclasses import replace

from rnn.training import train

FINAL = ("done", "paused", "error")   # the child's last message is one of these


def stop_reason(config, update) -> tuple[str, str] | None:
    """(message, level) if this update pauses training (NaN/Inf, or a breakpoint), else None."""
    if not update.finite:
        # always a breakpoint: the engine never applies a non-finite update and stops
        return (f"NaN/Inf in {update.where_nonfinite} at update {update.step}: training paused. "
                f"The parameters are kept from update {update.step - 1}, the last finite ones.", "error")
    if config.break_on_norm and update.grad_norm > config.break_norm:
        return (f"Breakpoint: ‖g‖ = {update.grad_norm:.4g} > {config.break_norm:g} "
                f"at update {update.step}; training paused.", "warning")
    if config.break_on_clip and update.clipped:
        return (f"Breakpoint: the gradient was clipped at update {update.step} "
                f"(‖g‖ = {update.grad_norm:.4g}, threshold {config.clip_threshold:g}); training paused.",
                "warning")
    return None


def run_until_stop(config, task, params, optimizer, *, steps: int, start_step: int, seed: int):
    """The engine's training loop for a configuration (``params`` and ``optimizer`` change in
    place): yields (update without its recording, stop reason or None), and nothing after a stop."""
    truncation = config.truncation_rule()
    for update in train(config.spec(), params, task, optimizer, steps=steps, seq_len=config.seq_len,
                        batch_size=config.batch, truncation=truncation, clip_mode=config.clip_mode,
                        clip_threshold=config.clip_threshold, seed=seed,
                        compare_full=not truncation.is_full, start_step=start_step):
        reason = stop_reason(config, update)
        yield replace(update, record=None), reason
        if reason is not None:
            return


def _run(conn, stop, config, task, params, optimizer, steps, start_step, seed, send_seconds):
    """The child: train, and every ``send_seconds`` send ("updates", updates, params, optimizer);
    end with ("done", …) or ("paused", …, reason, level), or ("error", traceback)."""
    try:
        pending, last_sent = [], time.monotonic()
        for update, reason in run_until_stop(config, task, params, optimizer, steps=steps,
                                             start_step=start_step, seed=seed):
            pending.append(update)
            if reason is not None:
                conn.send(("paused", pending, params, optimizer, *reason))
                return
            if stop.is_set():
                return
            if time.monotonic() - last_sent >= send_seconds:
                conn.send(("updates", pending, params, optimizer))
                pending, last_sent = [], time.monotonic()
        conn.send(("done", pending, params, optimizer))
    except Exception:
        conn.send(("error", traceback.format_exc()))
    finally:
        conn.close()


class TrainingProcess:
    """A training run in a spawned child process; :meth:`receive` collects what it has sent."""

    def __init__(self, config, task, params, optimizer, *, steps, start_step, seed, send_seconds):
        context = multiprocessing.get_context("spawn")   # fork is unsafe under Qt's threads
        self._conn, child_conn = context.Pipe(duplex=False)
        self._stop = context.Event()
        self._process = context.Process(
            target=_run, daemon=True, name="bptt-explorer training",
            args=(child_conn, self._stop, config, task, params, optimizer, steps, start_step, seed,
                  send_seconds))
        self._process.start()
        child_conn.close()

    def receive(self, timeout: float) -> list:
        """Every message that arrives within ``timeout`` seconds (waiting releases the GIL), up to
        the last one ("done", "paused" or "error")."""
        messages = []
        try:
            while self._conn.poll(timeout if not messages else 0):
                messages.append(self._conn.recv())
                if messages[-1][0] in FINAL:
                    break
        except EOFError:                      # the child ended without a last word (killed)
            messages.append(("error", "the training process ended unexpectedly"))
        return messages

    def stop(self):
        self._stop.set()
        self._process.join(timeout=2.0)
        if self._process.is_alive():
            self._process.terminate()
            self._process.join(timeout=2.0)
        self._conn.close()
