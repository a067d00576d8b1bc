"""What a teacher reads at a projector stays whole: numbers written one way everywhere, axis
numbers that never crowd a short plot, every run compared named (this one too) where no curve
crosses the name, the toolbar's progress in view when presenting on a narrow screen, the lesson
box's "Step n of m" never cut, the controls' fields whole in their panel."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

pytest.importorskip("pytestqt")

from PySide6.QtGui import QFontMetricsF, QTextDocument  # noqa: E402
from PySide6.QtWidgets import QComboBox, QStyle, QStyleOptionComboBox  # noqa: E402

import pyqtgraph as pg  # noqa: E402  (after PySide6)

from explorer.views import style  # noqa: E402

from test_presentation import default_look, present  # noqa: E402,F401  (default_look: autouse)
from test_window import settle  # noqa: E402


def plain(rich: str) -> str:
    """What a rich-text label reads, non-breaking spaces as spaces."""
    document = QTextDocument()
    document.setHtml(rich)
    return document.toPlainText().replace("\u00a0", " ")


def test_numbers_are_written_with_powers_of_ten_as_the_lessons_write_them():
    assert style.fmt(1.3e-18, 2) == "1.3×10⁻¹⁸"
    assert style.fmt(5.07e5, 3) == "5.07×10⁵"
    assert style.fmt(0.0004558) == "0.0004558" and style.fmt(0.25) == "0.25"
    assert style.fmt(float("nan")) == "—" and style.fmt(float("inf")) == "inf"


def test_a_short_axis_labels_only_the_values_it_has_room_for(qtbot):
    canvas = style.layout_widget()
    qtbot.addWidget(canvas)
    plot = canvas.addPlot()
    style.style_plot(plot, "norm", left="norm")
    axis = plot.getAxis("left")
    line = QFontMetricsF(axis.style["tickFont"]).height()
    short = sorted(v for _, values in axis.tickValues(1.7, 2.7, 25) for v in values)    # 25 px for 1.0
    tall = [v for _, values in axis.tickValues(1.7, 2.7, 400) for v in values]
    assert 1 <= len(short) <= 2 and len(tall) >= 5, (short, tall)
    assert all((b - a) * 25 >= 1.25 * line for a, b in zip(short, short[1:])), (short, line)
    style.log_y(plot)
    decades = [v for _, values in plot.getAxis("left").tickValues(-10, -1, 60) for v in values]
    assert 1 < len(decades) <= 3, decades          # (not ten decades piled into 60 px)
    # a log axis writes its numbers as the views do: 20, not 2·10¹; 2×10⁻⁵ beyond 10⁻⁴ … 10⁴
    assert plot.getAxis("left").tickStrings([np.log10(20), -3.0, np.log10(2e-5)], 1.0, 1.0) == ["20", "0.001", "2×10⁻⁵"]


def test_the_step_jacobian_plot_names_its_dashed_line_in_its_title(window):
    flow = window.views["GradientFlowView"]
    regime = window.state.result.regime
    assert window.state.config.cell == "rnn"
    assert f"γσ<sub>max</sub> = {style.fmt(regime.gamma * regime.sigma_max, 4)}" in flow.jac_plot.titleLabel.text
    assert getattr(flow.one_line, "label", None) is None     # (no label inside the short plot, on the curve)


def test_the_constant_guess_and_the_runs_compared_are_named_clear_of_the_curves(qtbot, window):
    view, flow = window.views["TrainingView"], window.views["GradientFlowView"]
    window.actions["update"].trigger()
    settle(qtbot, window)
    assert view.baseline_label.isVisible() and view.baseline_label.toPlainText().startswith("constant guess ")
    assert view.baseline_label.zValue() > max(item.zValue() for item in view.loss_plot.listDataItems())
    assert view.legend_names() == [] and not view.legend.isVisible()
    window.state.keep_reference("first run")
    qtbot.waitUntil(lambda: view.legend_names() == ["this run", "first run"])
    shown = plain(view.legend.text())
    assert view.legend.isVisible() and "━━ this run" in shown and "╍╍ first run" in shown, shown
    assert "this run" in flow.legend.getLabel(flow.norm_curve).text
    qtbot.wait(50)                     # (the longer legend wraps: the plots keep their dock's width)
    assert flow.canvas.ci.geometry().width() <= flow.canvas.viewport().width()
    window.state.clear_references()
    qtbot.waitUntil(lambda: view.legend_names() == [])
    assert "this run" not in flow.legend.getLabel(flow.norm_curve).text


def test_a_narrow_step_jacobian_plot_keeps_the_dashed_lines_value_in_its_title(qtbot, window):
    flow = window.views["GradientFlowView"]
    assert window.state.set_config(batch=4)
    settle(qtbot, window)
    value = style.fmt(window.state.result.regime.gamma * window.state.result.regime.sigma_max, 4)
    assert "seq 0" in flow.jac_plot._explorer_titles[0]         # (the whole title, where there is room)
    flow.resize(200, flow.height())            # (as narrow as a dock gets)
    qtbot.wait(50)
    title = flow.jac_plot.titleLabel.text
    assert value in title and "seq" not in title, title


def test_presenting_at_1024_the_progress_stays_on_the_toolbar(qtbot, window):
    slider_width = window.scrubber.maximumWidth()
    present(qtbot, window, (1024, 768))
    qtbot.waitUntil(lambda: window.progress.isVisible())       # (not in the toolbar's » menu)
    right = window.progress.mapTo(window.toolbar, window.progress.rect().topRight()).x()
    assert right <= window.toolbar.width()
    assert "backward visit" in window.progress.text()
    window.actions["leave_presentation"].trigger()
    qtbot.waitUntil(lambda: not window.presentation.presenting)
    assert not window.progress.wordWrap() and window.scrubber.maximumWidth() == slider_width


def test_the_lesson_box_never_cuts_its_step_number(qtbot, window):
    window.open_lesson("optimizers-and-gates", 0, run=False)
    window.resize(1024, 768)
    qtbot.waitUntil(lambda: window.lesson.isVisible())
    qtbot.wait(50)
    title = window.lesson.title
    head = title.text().split("  ·  ")[0]
    assert head == "Step 1 of 3" and title.width() >= title.fontMetrics().horizontalAdvance(head)


def test_every_control_is_whole_in_its_panel_and_the_task_titles_are_not_cut(window):
    controls = window.controls if hasattr(window, "controls") else window.docks["Controls"].widget()
    assert controls.scroll.widget().minimumSizeHint().width() <= controls.scroll.viewport().width()
    combo = controls.widgets["task"]
    assert isinstance(combo, QComboBox)
    option = QStyleOptionComboBox()
    combo.initStyleOption(option)
    field = combo.style().subControlRect(QStyle.ComplexControl.CC_ComboBox, option,
                                         QStyle.SubControl.SC_ComboBoxEditField, combo)
    longest = max((combo.itemText(i) for i in range(combo.count())), key=combo.fontMetrics().horizontalAdvance)
    assert combo.fontMetrics().horizontalAdvance(longest) <= field.width(), (longest, field.width())


def test_the_data_view_header_wraps_instead_of_being_cut(window):
    data = window.views["DataView"]
    assert data.summary.wordWrap() and data.of_label.text() == f"of {window.state.record.batch_size}"
    assert isinstance(data.canvas, pg.GraphicsView)
