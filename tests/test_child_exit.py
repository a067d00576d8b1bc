"""The window's child processes leave within 2 s when the window's process dies: the training
process even in the middle of an update that takes far longer (a large LSTM), and the process that
measures σ_max and ρ of large blocks."""

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

PARENT = textwrap.dedent("""
    import time
    import numpy as np
    from explorer.config import ExplorerConfig
    from explorer.trainer import Side, TrainingChannel
    from rnn.optim import make_optimizer
    from rnn.params import init_params
    if __name__ == "__main__":
        config = ExplorerConfig(cell="lstm", hidden=256, layers=2, seq_len=200, batch=64, task="sine")
        batch = config.task_object.sample(config.batch, config.seq_len, np.random.default_rng(0))
        channel = TrainingChannel()                       # an update here takes about 15 s
        channel.start([Side(config, init_params(config.spec()), make_optimizer("sgd", 0.01), 0, 0)], steps=100,
                      batch=batch, sequence=0)
        time.sleep(1.0)                                   # well inside its first update
        print(channel._process.pid, flush=True)
        time.sleep(600)
""")

SPECTRA_PARENT = textwrap.dedent("""
    import time
    import numpy as np
    from explorer.spectra_process import SpectraProcess
    if __name__ == "__main__":
        spectra = SpectraProcess()
        spectra([np.random.default_rng(0).standard_normal((200, 200))])
        print(*spectra._executor._processes, flush=True)
        time.sleep(600)
""")


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:                                                  # a zombie is gone for our purpose
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split()[2] != "Z"
    except OSError:
        return True


@pytest.mark.skipif(os.name != "posix", reason="POSIX signals and /proc")
@pytest.mark.parametrize("parent_script", [PARENT, SPECTRA_PARENT], ids=["training", "spectra"])
def test_a_child_process_exits_with_the_window(tmp_path, parent_script):
    script = tmp_path / "parent.py"
    script.write_text(parent_script)
    parent = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True,
                              cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        child = int(parent.stdout.readline())
        assert alive(child)
        parent.send_signal(signal.SIGKILL)                # the window dies without a word
        parent.wait(10)
        start = time.monotonic()
        while alive(child) and time.monotonic() - start < 5:
            time.sleep(0.05)
        gone_after = time.monotonic() - start
        assert not alive(child), "the child process outlived the window by 5 s"
        assert gone_after < 2.0
    finally:
        parent.kill()
        parent.wait()
