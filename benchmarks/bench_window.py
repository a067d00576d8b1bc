"""How fast the window answers, measured against the engine it draws (run: python benchmarks/bench_window.py).

1. Launch → painted window: wall time of a fresh interpreter that imports the app, builds the
   window on the demo and paints it once (target ≤ 2 s).
2. Control change → every view repainted, at the default demo: ``set_config`` of a control
   (alternating two values), then events are processed until Qt has painted every widget the change
   marked dirty; the median over many changes of each of several controls, and the median of
   those (target ≤ 33 ms). Also reported: a scale change followed by a forced repaint of the whole
   window, changed or not (an upper bound), and the same median at T = 100 and T = 1000 (targets
   ≤ 50 and ≤ 100 ms).
3. Live training against headless training of the same configuration, at three configurations
   (the demo, LSTM H=128 T=100 B=32 on adding with Adam, GRU H=64 T=50 B=16 on sine with Adam):
   updates per second inside the window (shown at 1280×800, plots refreshed while it runs) divided
   by updates per second of ``rnn.training.train`` alone in this process (target ≥ 0.5); plot
   refreshes per second (``historyChanged`` emissions, and those followed by a paint of the
   training plot; target ≥ 20); and the event loop's latency meanwhile: a 10 ms timer, re-armed at
   each tick, and how late it fires (p50, p95, max). Medians over rounds that alternate the two.
4. No stall: the event loop's lateness (the same 10 ms timer) from a control change until its pass
   has landed and been drawn, at large sizes the controls allow (LSTM H=256, 2 layers, T=200,
   B=32): a W_hh scale change (σ_max 0.8 ↔ 1.2), a hidden-size change and a sequence-length
   change; the longest the GUI thread was blocked (≈ the max lateness; target ≤ 100 ms), how long
   ``set_config`` took to return and how long the pass took to land.
5. ``--soak SECONDS`` (not part of the normal run): the demo trains in the window that long; every
   60 s a line with the updates so far, the refresh rate and event-loop latency over the last
   minute and the RSS; at the end the last minute's refresh rate ÷ the first minute's (target
   ≥ 0.8) and the RSS growth (target < 50 MB). The issue's yardstick is 1,000,000 updates.

BLAS is pinned to one thread here as in the app (``explorer/app.py``) and its training process.
After each pause the training pipe is drained (``settle_channel``) before a headless round, and a
watchdog exits with every thread's traceback if a phase hangs: the window and its training process
can deadlock, both blocked in ``send`` on their duplex pipe, when a large run is restarted while the
child is still sending its last chunk.
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
from explorer.window import MainWindow
try:
    from explorer.qt_session import wait_until_idle
except ImportError:
    from explorer.window import wait_until_idle
window = MainWindow(settings=None, restore=False)
window.resize(1280, 800)
window.show()
wait_until_idle(window.state, timeout_s=30)
window.repaint()
window.state.shutdown()
"""

TRAINING_CONFIGS = {  # label → config changes from the defaults
    "demo": {},
    "LSTM H=128 T=100 B=32 adding Adam": dict(cell="lstm", hidden=128, seq_len=100, batch=32, task="adding",
                                              optimizer="adam", lr=0.01),
    "GRU H=64 T=50 B=16 sine Adam": dict(cell="gru", hidden=64, seq_len=50, batch=16, task="sine",
                                         optimizer="adam", lr=0.01),
}

STALL_BASE = dict(cell="lstm", hidden=256, layers=2, seq_len=200, batch=32, scale_kind="sigma", scale=1.0)
STALL_CHANGES = {  # label → (control, the two values it alternates between), at STALL_BASE
    "W_hh scale σ 0.8↔1.2": ("scale", 0.8, 1.2),
    "hidden 240↔256": ("hidden", 240, 256),
    "seq_len 180↔200": ("seq_len", 180, 200),
}

CHANGES = {  # control → the two values it alternates between (at the demo)
    "W_hh scale (new weights)": ("scale", 0.8, 1.2),
    "sequence length": ("seq_len", 21, 20),
    "truncation": ("truncation", "tbptt", "full"),
    "activation": ("activation", "relu", "tanh"),
}


def wait_until_idle(state, timeout_s=60.0):
    """The app's own helper, wherever it lives (it moved from explorer.window to explorer.qt_session)."""
    try:
        from explorer.qt_session import wait_until_idle as wait
    except ImportError:
        from explorer.window import wait_until_idle as wait
    return wait(state, timeout_s=timeout_s)


def pin_blas():
    try:
        from threadpoolctl import threadpool_limits
        threadpool_limits(1)
    except ImportError:
        pass


def percentile(values, q):
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))]


def rss_mb(pid="self"):
    try:
        with open(f"/proc/{pid}/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError, IndexError):
        return float("nan")


# ---------------------------------------------------------------------------- probes
class LatencyProbe:
    """A 10 ms single-shot precise timer re-armed at every tick: ``lateness`` (ms) is how much later
    than asked each tick fired, i.e. how long the event loop could not run it."""

    def __init__(self, interval_ms=10):
        from PySide6.QtCore import Qt, QTimer
        self.interval = interval_ms
        self.timer = QTimer()
        self.timer.setSingleShot(True)
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.timeout.connect(self._tick)
        self.lateness = []
        self.ticks = []          # (perf_counter at the tick, lateness ms)
        self.keep_ticks = False
        self._armed = None

    def start(self):
        self._armed = time.perf_counter()
        self.timer.start(self.interval)

    def stop(self):
        self.timer.stop()
        self._armed = None

    def reset(self):
        self.lateness = []
        self.ticks = []

    def _tick(self):
        now = time.perf_counter()
        late = (now - self._armed) * 1e3 - self.interval
        self.lateness.append(late)
        if self.keep_ticks:
            self.ticks.append((now, late))
        self._armed = now
        self.timer.start(self.interval)


class RefreshCounter:
    """Counts ``historyChanged`` emissions, and those followed by a paint of the training plot."""

    def __init__(self, window):
        from PySide6.QtCore import QEvent, QObject
        self.state = window.state
        self.emitted = []        # perf_counter of each emission
        self.painted = []        # perf_counter of the first paint after an emission
        self._pending = False
        counter = self

        class PaintFilter(QObject):
            def eventFilter(self, obj, event):
                if event.type() == QEvent.Type.Paint and counter._pending:
                    counter._pending = False
                    counter.painted.append(time.perf_counter())
                return False

        self._filter = PaintFilter()
        view = window.views["TrainingView"]
        self._target = view.canvas.viewport() if hasattr(view, "canvas") else view
        self._target.installEventFilter(self._filter)
        self.state.historyChanged.connect(self._emitted)

    def _emitted(self, *_):
        self.emitted.append(time.perf_counter())
        self._pending = True

    def close(self):
        self.state.historyChanged.disconnect(self._emitted)
        self._target.removeEventFilter(self._filter)

    @staticmethod
    def count_between(times, start, end):
        return sum(1 for t in times if start <= t < end)


def run_loop(seconds=None, until=None, timeout=None, settle_s=0.0):
    """Run the event loop for ``seconds``, or until ``until()`` holds (checked every 5 ms) and then
    ``settle_s`` more (the views' coalesced redraws and Qt's paints)."""
    from PySide6.QtCore import QEventLoop, QTimer
    loop = QEventLoop()
    if seconds is not None:
        QTimer.singleShot(int(seconds * 1000), loop.quit)
    else:
        deadline = time.perf_counter() + (timeout or 120)

        def check():
            if until() or time.perf_counter() > deadline:
                QTimer.singleShot(int(settle_s * 1000), loop.quit)
            else:
                QTimer.singleShot(5, check)
        QTimer.singleShot(0, check)
    loop.exec()


def idle(state):
    return state.idle and not state.training


def settle_channel(state, quiet_s=0.6, timeout_s=15.0):
    """After a pause, keep the event loop running until the training pipe has been quiet for
    ``quiet_s``: a run abandoned by ``pause_training`` (its last chunk took longer than the pause
    waits) still sends that chunk, and while nobody reads it the child is blocked in ``send``; the
    next ``start_training`` then blocks in its own ``send`` on the same duplex pipe (both sides
    writing, neither reading: a deadlock). The headless rounds keep the event loop from reading."""
    from PySide6.QtWidgets import QApplication
    app, conn = QApplication.instance(), getattr(state.channel, "_conn", None)
    deadline = time.perf_counter() + timeout_s
    quiet_since = time.perf_counter()
    while conn is not None and time.perf_counter() < deadline:
        app.processEvents()
        try:
            readable = not conn.closed and conn.poll(0)
        except (OSError, EOFError):
            return
        if readable:
            quiet_since = time.perf_counter()
        elif time.perf_counter() - quiet_since >= quiet_s:
            return
        time.sleep(0.005)


def watchdog(seconds):
    """Exit with every thread's traceback if the next phase hangs (see settle_channel)."""
    import faulthandler
    faulthandler.cancel_dump_traceback_later()
    faulthandler.dump_traceback_later(seconds, exit=True)


# ---------------------------------------------------------------------------- 1, 2: launch, change
def launch_seconds(repeats):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", LAUNCH_SCRIPT.format(root=ROOT)], check=True,
                       capture_output=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


LONGER = {100: 50.0, 1000: 100.0}   # T → target (ms) for a control change at that length (the demo's other settings)


def repaint_at_length(window, T, changes):
    """The median over the controls of :data:`CHANGES` of a change → painted, at sequence length T
    (the sequence length alternating T + 1 ↔ T)."""
    window.state.set_config(seq_len=T)
    wait_until_idle(window.state)
    controls = {label: (name, T + 1, T) if name == "seq_len" else (name, first, second)
                for label, (name, first, second) in CHANGES.items()}
    per_control = {label: repaint_ms(window, changes, False, control) for label, control in controls.items()}
    window.state.set_config(seq_len=20)
    wait_until_idle(window.state)
    return statistics.median(per_control.values())


def repaint_ms(window, changes, whole_window, control=("scale", 0.8, 1.2)):
    from PySide6.QtWidgets import QApplication
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


# ---------------------------------------------------------------------------- 3: training
def headless_updates_per_second(config, min_seconds, min_updates, max_seconds):
    """``rnn.training.train`` alone on this thread (after one warm-up update), as the child runs it."""
    from rnn.optim import make_optimizer
    from rnn.params import init_params
    from rnn.training import train
    params = init_params(config.spec(), **config.init_options())
    optimizer = make_optimizer(config.optimizer, config.lr)
    run = train(params=params, optimizer=optimizer, steps=10**9, seed=config.seed, start_step=0,
                **config.training_arguments())
    next(run)
    start, n = time.perf_counter(), 0
    for _ in run:
        n += 1
        elapsed = time.perf_counter() - start
        if (elapsed >= min_seconds and n >= min_updates) or elapsed >= max_seconds:
            break
    run.close()
    return n / (time.perf_counter() - start)


def window_training(window, seconds, probe):
    """Train inside the running event loop: (updates/s, historyChanged/s, painted refreshes/s,
    event-loop lateness list in ms)."""
    state = window.state
    refreshes = RefreshCounter(window)
    before = len(state.history)
    probe.reset()
    probe.start()
    watchdog(seconds + 60)
    start = time.perf_counter()
    state.start_training()
    run_loop(seconds)
    elapsed = time.perf_counter() - start
    updates = len(state.history) - before
    emitted, painted = len(refreshes.emitted), len(refreshes.painted)
    probe.stop()
    lateness = list(probe.lateness)
    state.pause_training()
    wait_until_idle(state)
    settle_channel(state)
    refreshes.close()
    return updates / elapsed, emitted / elapsed, painted / elapsed, lateness


def training_figures(window, changes, rounds, seconds, headless_seconds, probe):
    from explorer.config import ExplorerConfig
    state = window.state
    state.set_config(**{**ExplorerConfig().to_dict(), **changes})
    wait_until_idle(state, timeout_s=120)
    config = state.config
    # the training process is long-lived: a short warm-up run so its start-up is not counted
    watchdog(120)
    state.start_training()
    run_loop(0.5)
    state.pause_training()
    wait_until_idle(state)
    settle_channel(state)
    results = []
    for _ in range(rounds):   # the machine is shared: alternate headless and in-window rounds
        headless = headless_updates_per_second(config, headless_seconds, 30, 4 * headless_seconds)
        live, emitted, painted, lateness = window_training(window, seconds, probe)
        results.append((headless, live, emitted, painted, lateness))
    lateness = [late for *_, round_lateness in results for late in round_lateness]
    return dict(
        headless=statistics.median(r[0] for r in results),
        live=statistics.median(r[1] for r in results),
        ratio=statistics.median(r[1] / r[0] for r in results),
        ratios=[r[1] / r[0] for r in results],
        emitted=statistics.median(r[2] for r in results),
        painted=statistics.median(r[3] for r in results),
        p50=percentile(lateness, 50), p95=percentile(lateness, 95), max=max(lateness, default=float("nan")),
    )


# ---------------------------------------------------------------------------- 4: no stall
def stall_of_change(window, changes, probe, timeout=120):
    """(max event-loop lateness ms, set_config ms, ms until the pass landed) of one control change."""
    from PySide6.QtCore import QTimer
    state = window.state
    times = {}

    def change():
        probe.reset()                    # ticks before the change do not count
        start = time.perf_counter()
        state.set_config(**changes)
        times["set_config"] = (time.perf_counter() - start) * 1e3
        times["start"] = start

    def landed():
        if "start" in times and "landed" not in times and idle(state):
            times["landed"] = (time.perf_counter() - times["start"]) * 1e3
        return "landed" in times

    probe.reset()
    probe.start()
    QTimer.singleShot(50, change)
    run_loop(until=landed, timeout=timeout, settle_s=0.3)
    probe.stop()
    return max(probe.lateness, default=float("nan")), times["set_config"], times.get("landed", float("nan"))


def stall_figures(window, repeats, probe):
    from explorer.config import ExplorerConfig
    state = window.state
    rows = {}
    watchdog(600)
    entry = stall_of_change(window, {**ExplorerConfig().to_dict(), **STALL_BASE}, probe)
    rows["demo → LSTM H=256 L=2 T=200 B=32"] = [entry]
    wait_until_idle(state)
    for label, (name, first, second) in STALL_CHANGES.items():
        rows[label] = [stall_of_change(window, {name: first if i % 2 == 0 else second}, probe)
                       for i in range(repeats)]
    return rows


# ---------------------------------------------------------------------------- 5: soak
def soak(window, seconds, probe, report_every=60.0):
    from PySide6.QtCore import QTimer
    from explorer.config import ExplorerConfig
    state = window.state
    state.set_config(**ExplorerConfig().to_dict())
    wait_until_idle(state)
    refreshes = RefreshCounter(window)
    probe.keep_ticks = True
    probe.reset()
    minutes = []                         # (refresh/s, painted/s, p50, p95, max lateness, rss)
    rss_start = rss_mb()
    child = lambda: rss_mb(state.channel._process.pid) if state.channel.alive else float("nan")
    start = time.perf_counter()
    marks = {"last": start, "updates": 0}
    print(f"soak: the demo trains in the window for {seconds:.0f} s; RSS at start {rss_start:.1f} MB",
          flush=True)
    print(f"{'t (s)':>7s} {'updates':>10s} {'upd/s':>7s} {'hist/s':>7s} {'paint/s':>7s} {'p50 ms':>7s} "
          f"{'p95 ms':>7s} {'max ms':>7s} {'RSS MB':>8s} {'child MB':>8s}", flush=True)

    def report():
        now = time.perf_counter()
        begin = marks["last"]
        span = now - begin
        lateness = [late for t, late in probe.ticks if begin <= t < now]
        probe.ticks = [(t, late) for t, late in probe.ticks if t >= now]
        emitted = RefreshCounter.count_between(refreshes.emitted, begin, now) / span
        painted = RefreshCounter.count_between(refreshes.painted, begin, now) / span
        refreshes.emitted = [t for t in refreshes.emitted if t >= now]
        refreshes.painted = [t for t in refreshes.painted if t >= now]
        updates = len(state.history)
        rate = (updates - marks["updates"]) / span
        marks.update(last=now, updates=updates)
        row = (emitted, painted, percentile(lateness, 50), percentile(lateness, 95),
               max(lateness, default=float("nan")), rss_mb())
        minutes.append(row)
        print(f"{now - start:7.0f} {updates:10d} {rate:7.0f} {emitted:7.1f} {painted:7.1f} {row[2]:7.2f} "
              f"{row[3]:7.2f} {row[4]:7.1f} {row[5]:8.1f} {child():8.1f}", flush=True)

    watchdog(seconds + 300)
    ticker = QTimer()
    ticker.timeout.connect(report)
    ticker.start(int(report_every * 1000))
    probe.start()
    state.start_training()
    run_loop(seconds)
    ticker.stop()
    probe.stop()
    updates = len(state.history)
    state.pause_training()
    wait_until_idle(state)
    refreshes.close()
    if len(minutes) < 2:
        print("soak: too short for a first-minute / last-minute comparison")
        return
    first, last = minutes[0], minutes[-1]
    ratio = last[0] / first[0] if first[0] else float("nan")
    painted_ratio = last[1] / first[1] if first[1] else float("nan")
    growth = last[5] - rss_start
    growth_after_first = last[5] - first[5]
    elapsed = time.perf_counter() - start
    print(f"soak: {updates} updates in {elapsed:.0f} s ({updates / elapsed:.0f}/s); history "
          f"{len(state.history)} updates")
    verdict = lambda ok: "PASS" if ok else "FAIL"
    print(f"{'refresh rate last min ÷ first min (historyChanged)':52s} {ratio:8.3g} {'≥ 0.8':>8s} "
          f"{verdict(ratio >= 0.8)}")
    print(f"{'  (painted refreshes)':52s} {painted_ratio:8.3g}")
    print(f"{'RSS growth (MB, end − start)':52s} {growth:8.1f} {'< 50':>8s} {verdict(growth < 50)}")
    print(f"{'  RSS growth after the first minute (MB)':52s} {growth_after_first:8.1f}")


# ---------------------------------------------------------------------------- main
def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a short run (fewer changes, rounds, seconds)")
    parser.add_argument("--changes", type=int, default=None, help="changes per control (default 60, quick 16)")
    parser.add_argument("--seconds", type=float, default=None,
                        help="in-window training per round (default 5, quick 2.5)")
    parser.add_argument("--headless-seconds", type=float, default=None,
                        help="headless training per round, at least (default 2, quick 1)")
    parser.add_argument("--rounds", type=int, default=None, help="headless / in-window rounds (default 5, quick 1)")
    parser.add_argument("--stall-repeats", type=int, default=None,
                        help="changes per control at the large size (default 6, quick 2)")
    parser.add_argument("--launches", type=int, default=None, help="(default 3, quick 1)")
    parser.add_argument("--soak", type=float, default=None, metavar="SECONDS",
                        help="only the soak: train the demo in the window this long")
    parser.add_argument("--soak-every", type=float, default=60.0, help="seconds between soak lines")
    args = parser.parse_args()
    quick = args.quick
    pick = lambda value, normal, short: value if value is not None else (short if quick else normal)
    changes = pick(args.changes, 60, 16)
    seconds = pick(args.seconds, 5.0, 2.5)
    headless_seconds = pick(args.headless_seconds, 2.0, 1.0)
    rounds = pick(args.rounds, 5, 1)
    stall_repeats = pick(args.stall_repeats, 6, 2)
    launches = pick(args.launches, 3, 1)

    pin_blas()
    from PySide6.QtWidgets import QApplication
    app = QApplication.instance() or QApplication([])
    from explorer.window import MainWindow

    if args.soak is None:
        launch = launch_seconds(launches)
    window = MainWindow(settings=None, restore=False)
    window.resize(1280, 800)
    window.show()
    wait_until_idle(window.state)
    probe = LatencyProbe(10)
    if args.soak is not None:
        try:
            soak(window, args.soak, probe, args.soak_every)
        finally:
            window.state.shutdown()
        return

    began = time.perf_counter()
    config = window.state.config
    per_control = {label: repaint_ms(window, changes, False, control) for label, control in CHANGES.items()}
    repaint = statistics.median(per_control.values())
    repaint_all = repaint_ms(window, changes, whole_window=True)
    longer = {T: repaint_at_length(window, T, max(4, changes // 4)) for T in LONGER}
    training = {label: training_figures(window, config_changes, rounds, seconds, headless_seconds, probe)
                for label, config_changes in TRAINING_CONFIGS.items()}
    stalls = stall_figures(window, stall_repeats, probe)
    watchdog(60)
    window.state.shutdown()
    import faulthandler
    faulthandler.cancel_dump_traceback_later()

    verdict = lambda ok: "" if ok is None else ("PASS" if ok else "FAIL")
    print(f"default demo: {config.spec().label}, task {config.task}, T={config.seq_len}, "
          f"B={config.batch}, H={config.hidden}; window 1280×800 offscreen; "
          f"{rounds} round(s) of {seconds:g} s per config")
    print(f"{'measure':46s} {'value':>10s} {'target':>8s} result")
    for label, ms in per_control.items():
        print(f"{'  change ' + label + ' (ms)':46s} {ms:10.3g}")
    rows = [("launch → painted window (s, median)", launch, "≤ 2", launch <= 2),
            ("control change → changed views painted (ms)", repaint, "≤ 33", repaint <= 33),
            ("  scale change, whole window repainted (ms)", repaint_all, "", None)]
    rows += [(f"… at T = {T} (ms)", longer[T], f"≤ {target:g}", longer[T] <= target) for T, target in LONGER.items()]
    for name, value, target, ok in rows:
        print(f"{name:46s} {value:10.3g} {target:>8s} {verdict(ok)}")

    print()
    print("live training (medians over rounds; lateness of a 10 ms timer over all rounds)")
    print(f"{'configuration':34s} {'headless':>9s} {'window':>8s} {'ratio':>6s} {'(rounds)':>16s} "
          f"{'hist/s':>7s} {'paint/s':>7s} {'p50 ms':>7s} {'p95 ms':>7s} {'max ms':>7s}")
    for label, f in training.items():
        spread = "/".join(f"{r:.2f}" for r in f["ratios"])
        # a refresh needs a new update: below 20 updates/s the bound is the update rate
        ok = f["ratio"] >= 0.5 and f["painted"] >= min(20.0, 0.9 * f["live"])
        print(f"{label:34s} {f['headless']:9.4g} {f['live']:8.4g} {f['ratio']:6.2f} {spread:>16s} "
              f"{f['emitted']:7.1f} {f['painted']:7.1f} {f['p50']:7.2f} {f['p95']:7.2f} {f['max']:7.1f} "
              f"{verdict(ok)}")
    print(f"{'targets':34s} {'':9s} {'':8s} {'≥ 0.5':>6s} {'':16s} {'':7s} {'≥ 20':>7s}")
    print("(paint/s: historyChanged emissions followed by a paint of the training plot; a config "
          "training fewer than 20 updates/s is held to 0.9 × its update rate)")

    print()
    print("no stall at LSTM H=256, 2 layers, T=200, B=32 (max over changes; target: blocked ≤ 100 ms)")
    print(f"{'change':34s} {'n':>3s} {'blocked ms':>11s} {'set_config ms':>14s} {'landed ms':>10s}")
    worst = 0.0
    for label, entries in stalls.items():
        blocked = max(e[0] for e in entries)
        worst = max(worst, blocked)
        print(f"{label:34s} {len(entries):3d} {blocked:11.1f} {max(e[1] for e in entries):14.1f} "
              f"{statistics.median(e[2] for e in entries):10.0f} {verdict(blocked <= 100)}")
    print(f"(blocked = max lateness of the 10 ms timer; set_config = max; landed = median)")
    print(f"benchmark body took {time.perf_counter() - began:.0f} s")


if __name__ == "__main__":
    main()
