"""Every preset sets up its lesson in one click: the whole configuration in one set_config call,
fresh weights, its training run, a title and a description, and a window that renders."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

pytest.importorskip("pytestqt")

import pyqtgraph  # noqa: E402,F401  (after PySide6)

from explorer.presets import NAMES, PRESETS, apply_preset  # noqa: E402
from explorer.qt_session import QtSession  # noqa: E402
from explorer.window import MainWindow  # noqa: E402
from rnn.params import init_params  # noqa: E402

REQUIRED = ("vanishing", "exploding", "truncation", "lstm", "activations", "shapes", "alphabet", "names")


def settle(qtbot, state, timeout=90_000):
    qtbot.waitUntil(lambda: state.idle and not state.training, timeout=timeout)
    qtbot.wait(30)


@pytest.fixture(scope="module")
def shared_window():
    """One window for the rendering checks (building one per preset costs time, not coverage)."""
    from PySide6.QtWidgets import QApplication
    app = QApplication.instance() or QApplication([])
    window = MainWindow(settings=None, restore=False)
    window.resize(1280, 800)
    window.show()
    app.processEvents()
    yield window
    window.state.shutdown()
    window.close()
    window.deleteLater()
    app.processEvents()


def test_required_presets_exist_with_lessons():
    for name in REQUIRED:
        assert name in NAMES
    for name, preset in PRESETS.items():
        assert name == name.lower() and " " not in name
        assert preset.title and len(preset.description) > 150
        preset.config  # a valid configuration


def test_a_preset_is_one_set_config_with_fresh_weights(qtbot):
    state = QtSession()
    calls = []
    original = state.set_config

    def counting(*args, **kwargs):
        calls.append(kwargs)
        return original(*args, **kwargs)
    state.set_config = counting
    state.apply_update()
    settle(qtbot, state)
    apply_preset(state, "vanishing")
    settle(qtbot, state)
    assert len(calls) == 1
    assert state.config == PRESETS["vanishing"].config
    assert len(state.history) == 0
    expected = init_params(state.spec, **state.config.init_options())
    assert all(np.array_equal(state.params[k], v) for k, v in expected.items())
    # the same preset again still starts from fresh weights
    state.apply_update()
    settle(qtbot, state)
    apply_preset(state, "vanishing")
    settle(qtbot, state)
    assert len(state.history) == 0
    state.shutdown()


@pytest.mark.parametrize("name", NAMES)
def test_every_preset_loads_and_renders(qtbot, shared_window, name):
    window = shared_window
    state = window.state
    preset = window.apply_preset(name)
    settle(qtbot, state)
    assert state.config == preset.config
    assert window.lesson.isVisible() and preset.title in window.lesson.title.text()
    assert window.lesson.text.text() == preset.description
    if preset.train_steps and name != "exploding":
        assert len(state.history) == preset.train_steps
        assert np.all(np.isfinite(state.history.loss))
    image = window.grab().toImage()
    assert (image.width(), image.height()) == (1280, 800)
    small = image.scaled(80, 50)
    colours = {small.pixel(x, y) for x in range(80) for y in range(50)}
    assert len(colours) > 30, "the window looks blank"
    assert window.controls.pending_changes() == {}


def test_exploding_pauses_at_nan_then_clipping_survives(qtbot, shared_window):
    window = shared_window
    state = window.state
    window.apply_preset("exploding")
    settle(qtbot, state)
    assert 0 < len(state.history) < PRESETS["exploding"].train_steps
    assert not np.isfinite(state.history.loss[-1])
    assert window.alert.isVisible() and "NaN" in window.alert.text.text()
    assert all(np.all(np.isfinite(v)) for v in state.params.values())
    window.apply_preset("exploding-clipped")
    assert not window.alert.isVisible()
    settle(qtbot, state)
    assert len(state.history) == PRESETS["exploding-clipped"].train_steps
    assert any(state.history.clipped) and np.all(np.isfinite(state.history.loss))
    assert state.history.loss[-1] < state.history.loss[0]


def test_truncation_compares_with_the_full_gradient(qtbot, shared_window):
    window = shared_window
    window.apply_preset("truncation")
    settle(qtbot, window.state)
    cosine = np.asarray(window.state.history.cosine)
    assert cosine.size == PRESETS["truncation"].train_steps
    assert np.all(np.isfinite(cosine)) and np.all(np.abs(cosine) <= 1 + 1e-9)
    assert window.views["TrainingView"].cos_plot.isVisible()


def test_names_shows_five_sampled_names(qtbot, shared_window):
    window = shared_window
    window.apply_preset("names")
    settle(qtbot, window.state)
    samples = window.state.samples
    assert len(samples) == 5
    assert window.controls.samples_box.isVisible()
    text = window.controls.samples_label.text()
    assert all((s or "(empty)") in text for s in samples)
    window.apply_preset("shapes")
    settle(qtbot, window.state)
    assert not window.controls.samples_box.isVisible()


def test_shapes_preset_sizes(qtbot, shared_window):
    window = shared_window
    window.apply_preset("shapes")
    settle(qtbot, window.state)
    spec, c = window.state.spec, window.state.config
    assert (spec.hidden_size, spec.output_size, c.batch, c.seq_len) == (7, 1, 64, 10)
    assert "3 inputs" in PRESETS["shapes"].description           # the gap is documented
