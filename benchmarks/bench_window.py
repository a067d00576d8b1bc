"""How fast the window answers, measured against the engine it draws (run: python benchmarks/bench_window.py).

1. Launch → painted window: wall time of a fresh interpreter that imports the app, builds the
   window on the demo and paints it once (target ≤ 2 s).
2. Control change → every view repainted, at the default demo: ``set_config`` of a control
   (alternating two values), then events are processed until Qt has painted every widget the change
   marked dirty; the median over many changes of each of several controls, and the median of
   those (target ≤ 33 ms). Also reported: a scale change followed by a forced repaint of the whole
   window, changed or not (an upper bound).
3. Live training throughput against headless training of the same configuration:
   updates per second inside the window (plots refreshed while it runs) divided by updates per
   second of ``rnn.training.train`` alone (target ≥ 0.5), and how often the plots were refreshed
   meanwhile (target ≥ 20 per second); medians over rounds that alternate the two.
"""

import argparse
import os
import statistics
import subprocess
import sys
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

LAUNCH_SCRIPT = """
import os, sys, time
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, {root!r})
from PySide6.QtWidgets import QApplication
app = QApplication([])
from explorer.window import MainWindow, wait_until_idle
window = MainWindow(settings=None, restore=False)
window.resize(1280, 800)
window.show()
wait_until_idle(window.state, timeout_s=30)
window.repaint()
window.state.shutdown()
"""


def launch_seconds(repeats):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", LAUNCH_SCRIPT.format(root=ROOT)], check=True,
                       capture_output=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


CHANGES = {  # control → the two values it alternates between
    "W_hh scale (new weights)": ("scale", 0.8, 1.2),
    "sequence length": ("seq_len", 21, 20),
    "truncation": ("truncation", "tbptt", "full"),
    "activation": ("activation", "relu", "tanh"),
}


def repaint_ms(window, changes, whole_window, control=("scale", 0.8, 1.2)):
    from PySide6.QtWidgets import QApplication
    from explorer.window import wait_until_idle
    state, app = window.state, QApplication.instance()
    state.set_config(scale_kind="sigma")
    wait_until_idle(state)
    times = []
    for i in range(changes):
        start = time.perf_counter()
        name, first, second = control
        state.set_config(**{name: first if i % 2 == 0 else second})
        while not state.idle:
            app.processEvents()
        app.processEvents()          # the views' redraws, and Qt paints what they marked dirty
        if whole_window:
            window.repaint()         # stricter: repaint every widget, changed or not
        times.append((time.perf_counter() - start) * 1e3)
    return statistics.median(times)


def headless_updates_per_second(config, updates):
    from rnn.optim import make_optimizer
    from rnn.params import init_params
    from rnn.training import train
    spec = config.spec()
    params = init_params(spec, **config.init_options())
    optimizer = make_optimizer(config.optimizer, config.lr)
    start = time.perf_counter()
    for _ in train(spec, params, config.task_object, optimizer, steps=updates, seq_len=config.seq_len,
                   batch_size=config.batch, truncation=config.truncation_rule(),
                   clip_mode=config.clip_mode, clip_threshold=config.clip_threshold, seed=config.seed):
        pass
    return updates / (time.perf_counter() - start)


def window_training(window, seconds):
    """(updates per second, plot refreshes per second) of training inside the running event loop."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication
    from explorer.window import wait_until_idle
    state, app = window.state, QApplication.instance()
    refreshes = []
    count = lambda *_: refreshes.append(time.perf_counter())
    state.historyChanged.connect(count)
    before = len(state.history)
    start = time.perf_counter()
    state.start_training()
    QTimer.singleShot(int(seconds * 1000), app.quit)
    app.exec()
    elapsed = time.perf_counter() - start
    updates = len(state.history) - before
    state.pause_training()
    wait_until_idle(state)
    state.historyChanged.disconnect(count)
    return updates / elapsed, len(refreshes) / elapsed


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--changes", type=int, default=60)
    parser.add_argument("--seconds", type=float, default=3.0, help="in-window training per round")
    parser.add_argument("--rounds", type=int, default=3, help="headless / in-window training rounds")
    parser.add_argument("--launches", type=int, default=3)
    args = parser.parse_args()

    from PySide6.QtWidgets import QApplication
    app = QApplication.instance() or QApplication([])
    from explorer.window import MainWindow, wait_until_idle

    launch = launch_seconds(args.launches)
    window = MainWindow(settings=None, restore=False)
    window.resize(1280, 800)
    window.show()
    wait_until_idle(window.state)
    config = window.state.config
    per_control = {label: repaint_ms(window, args.changes, False, control)
                   for label, control in CHANGES.items()}
    repaint = statistics.median(per_control.values())
    repaint_all = repaint_ms(window, args.changes, whole_window=True)
    # the machine is shared: alternate headless and in-window runs and take the medians
    rounds = [(headless_updates_per_second(window.state.config, 300), *window_training(window, args.seconds))
              for _ in range(args.rounds)]
    headless = statistics.median(h for h, _, _ in rounds)
    live = statistics.median(l for _, l, _ in rounds)
    ratio = statistics.median(l / h for h, l, _ in rounds)
    refresh_hz = statistics.median(r for _, _, r in rounds)
    window.state.shutdown()

    print(f"default demo: {config.spec().label}, task {config.task}, T={config.seq_len}, "
          f"B={config.batch}, H={config.hidden}")
    print(f"{'measure':44s} {'value':>10s} {'target':>10s} result")
    for label, ms in per_control.items():
        print(f"{'  change ' + label + ' (ms)':44s} {ms:10.3g}")
    rows = [("launch → painted window (s, median)", launch, "≤ 2", launch <= 2),
            ("control change → changed views painted (ms)", repaint, "≤ 33", repaint <= 33),
            ("  scale change, whole window repainted (ms)", repaint_all, "", None),
            ("headless training (updates/s)", headless, "", None),
            ("training in the window (updates/s)", live, "", None),
            ("window / headless throughput", ratio, "≥ 0.5", ratio >= 0.5),
            ("  plot refreshes while training (per s)", refresh_hz, "≥ 20", refresh_hz >= 20)]
    for name, value, target, ok in rows:
        print(f"{name:44s} {value:10.3g} {target:>10s} {'' if ok is None else ('PASS' if ok else 'FAIL')}")


if __name__ == "__main__":
    main()
