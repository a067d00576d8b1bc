"""What every process the window starts does first: leave when the window's process dies, and
use one BLAS thread (one core each: the child computes, the window draws)."""

import os
import threading
import time

from threadpoolctl import threadpool_limits

PARENT_CHECK_SECONDS = 0.2   # how often the child checks that the window's process is still there


def exit_with_parent(interval: float = PARENT_CHECK_SECONDS):
    """Leave at once when the window's process dies, whatever the child is computing: a thread
    that notices the child has been handed to another parent (the window was killed, or crashed)."""
    parent = os.getppid()

    def watch():
        while True:
            time.sleep(interval)
            if os.getppid() != parent:
                os._exit(0)

    threading.Thread(target=watch, name="exit with the window", daemon=True).start()


def start_child():
    exit_with_parent()
    threadpool_limits(1)
