"""σ_max and ρ of large W_hh blocks, computed in a process of their own.

LAPACK's SVD and eigenvalue routines, as NumPy calls them, hold the GIL for their whole run: ρ of
one 256×256 block takes 30–65 ms, and an LSTM with two layers has eight blocks. On the window's
worker thread that froze the GUI for 110–180 ms at every change that draws new weights. Sent to
this process, the worker thread waits for the answer with the GIL released, and the numbers are
the same (the same routine on the same matrices). Small blocks are measured in place: the trip
costs more than they do. If the process cannot start or dies, they are measured in place too.
"""

import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from rnn.diagnostics import block_spectra

from .child_process import start_child

IN_PLACE_SIZE = 96        # blocks up to 96×96 take under 5 ms each: not worth the trip


class SpectraProcess:
    """Callable as :func:`rnn.diagnostics.block_spectra`; the process starts at the first large block."""

    def __init__(self):
        self._executor = None
        self._closed = False

    def __call__(self, blocks) -> tuple[list, list]:
        if self._closed or not blocks or max(b.shape[0] for b in blocks) <= IN_PLACE_SIZE:
            return block_spectra(blocks)
        try:
            if self._executor is None:
                self._executor = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"),
                                                     initializer=start_child)
            return self._executor.submit(block_spectra, [b.copy() for b in blocks]).result()
        except (BrokenProcessPool, OSError, RuntimeError):   # could not start, killed, shut down
            self.close()
            return block_spectra(blocks)

    def close(self):
        """End the process; from now on every block is measured in place."""
        self._closed = True
        executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=False, cancel_futures=True)
