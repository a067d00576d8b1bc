"""What a teacher reads at a projector stays whole: numbers written one way everywhere, axis
numbers that never crowd a short plot, every run compared named (this one too) where no curve
crosses the name, the toolbar's progress in view when presenting on a narrow screen, the lesson
box's "Step n of m" never cut, the controls' fields whole in their panel."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import re  # noqa: E402

import numpy as np  # noqa: E402
import pytest  # noqa: E402

pytest.importorskip("pytestqt")

from PySide6.QtCore import QRect, Qt  # noqa: E402
from PySide6.QtGui import QColor, QFontMetricsF, QTextDocument  # noqa: E402
from PySide6.QtWidgets import QComboBox, QPushButton, QStyle, QStyleOptionComboBox  # noqa: E402

import pyqtgraph as pg  # noqa: E402  (after PySide6)

from explorer.notation import number  # noqa: E402
from explorer.views import style  # noqa: E402

from test_presentation import CTRL, default_look, present, press  # noqa: E402,F401  (default_look: autouse)
from axis_drawing import draw_specs  # noqa: E402
from test_window import settle  # noqa: E402


def plain(rich: str) -> str:
    """What a rich-text label reads, non-breaking spaces as spaces."""
    document = QTextDocument()
    document.setHtml(rich)
    return document.toPlainText().replace("\u00a0", " ")


def test_the_loss_is_written_alike_in_the_status_bar_and_the_loss_plots_title(qtbot, window):
    window.actions["update"].trigger()                   # Run ▸ Update
    settle(qtbot, window)
    said = re.fullmatch(r"Trained to update 1; loss (.+)\.", window.statusBar().currentMessage())
    assert said, window.statusBar().currentMessage()
    title = plain(window.views["TrainingView"].loss_plot.titleLabel.text)
    assert title.endswith(f"· last {said.group(1)}"), (title, said.group(1))


def test_a_value_is_written_alike_in_the_lesson_box_and_the_views(qtbot, window):
    """Vanishing step 3 asks for the W_hh scale: typed, γσ_max reads the same in the lesson's text
    and claim, the step-Jacobian plot's title and the regime panel."""
    window.open_lesson("vanishing", step=2)
    settle(qtbot, window)
    box = window.controls.widgets["scale"]
    box.setFocus()
    box.selectAll()
    qtbot.keyClicks(box, "2.718")
    qtbot.keyClick(box, Qt.Key.Key_Return)
    settle(qtbot, window)
    qtbot.wait(150)                                      # (the lesson box measures again after a pause)
    written = "2.718"                                    # (tanh: γ = 1, so γσ_max is σ_max as typed)
    assert f"σmax = {written}" in plain(window.lesson.text.text())
    assert plain(window.lesson.claim_labels[0].text()).endswith(f"measured {written} > 1")
    assert f"γσmax = {written}" in plain(window.views["GradientFlowView"].jac_plot.titleLabel.text)
    assert f"γσmax = {written}" in plain(window.views["RegimeBadge"].text())


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
    # a log axis writes all its numbers one way: 20 and 0.001 while all are between 10⁻⁴ and 10⁴,
    # else every one as a power of ten (never 20 beside 2×10⁻⁵)
    log_axis = plot.getAxis("left")
    assert log_axis.tickStrings([np.log10(20), -3.0], 1.0, 1.0) == ["20", "0.001"]
    assert log_axis.tickStrings([np.log10(20), -3.0, np.log10(2e-5)], 1.0, 1.0) == ["2×10¹", "10⁻³", "2×10⁻⁵"]
    assert log_axis.tickStrings([0.0, 4.0], 1.0, 1.0) == ["10⁰", "10⁴"]


@pytest.mark.parametrize("lesson, step", [("first-look", 3), ("names", 0), ("gating", 0)])
def test_the_constant_guess_is_named_where_no_curve_crosses_it_and_all_of_it_in_view(qtbot, window, lesson, step):
    """The curves start above the guess and fall through it (first look), or run along it (a
    network that learns nothing, side B of the gating lesson): its name stays readable."""
    window.open_lesson(lesson, 0, run=False).run_through(step)
    settle(qtbot, window)
    view = window.views["TrainingView"]
    label, box = view.baseline_label, view.loss_plot.getViewBox()
    assert view.baseline_line.isVisible()
    if not label.isVisible():                  # no free place on its line: named in the line above
        assert view.legend.isVisible() and "┈┈ constant guess" in plain(view.legend.text())
        return
    text = label.mapRectToScene(label.boundingRect())
    assert box.sceneBoundingRect().contains(text)
    for curve in [view.loss_curve, view.raw_loss_curve, *view.reference_curves]:
        x, y = curve.getData()
        if not curve.isVisible() or x is None:
            continue
        points = [box.mapViewToScene(pg.Point(a, b)) for a, b in zip(x, y) if np.isfinite(b)]
        inside = [p for p in points if text.contains(p)]
        assert not inside, (lesson, len(inside), len(points))


def test_the_step_jacobian_plot_names_its_dashed_line_in_its_title(window):
    flow = window.views["GradientFlowView"]
    regime = window.state.result.regime
    assert window.state.config.cell == "rnn"
    assert f"γσ<sub>max</sub> = {number(regime.gamma * regime.sigma_max, 4)}" in flow.jac_plot.titleLabel.text
    assert getattr(flow.one_line, "label", None) is None     # (no label inside the short plot, on the curve)


def test_the_constant_guess_and_the_runs_compared_are_named_clear_of_the_curves(qtbot, window):
    view, flow = window.views["TrainingView"], window.views["GradientFlowView"]
    window.actions["update"].trigger()
    settle(qtbot, window)
    assert view.baseline_label.toPlainText().startswith("constant guess ")
    assert view.baseline_label.isVisible() or "constant guess" in plain(view.legend.text())
    assert view.baseline_label.zValue() > max(item.zValue() for item in view.loss_plot.listDataItems())
    assert view.legend_names() == []
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
    value = number(window.state.result.regime.gamma * window.state.result.regime.sigma_max, 4)
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


# ---------------------------------------------------------------------------- what the back row still could not read (#9)

def shown_whole(label) -> bool:
    """A word-wrapped label's text fits in it: its lines' height at its width, inside its parent."""
    inside = label.parentWidget().rect().contains(label.geometry())
    return label.isVisible() and label.heightForWidth(label.width()) <= label.height() and inside


@pytest.mark.parametrize("size", [None, (1024, 768)])
def test_a_long_lesson_title_wraps_and_is_never_cut(qtbot, window, size):
    """At 1280 px, and presenting at 1024: the lesson's whole title is in the box, on the header's
    line where it fits, else on lines of its own below it, never ending in "…"."""
    lesson = window.lessons["architectures"]
    window.open_lesson("architectures", 0, run=False)
    if size is not None:
        present(qtbot, window, size)
    box = window.lesson
    qtbot.waitUntil(box.isVisible)
    qtbot.wait(20)
    title, below = box.title, box.lesson_title
    whole_line = title.fontMetrics().horizontalAdvance(title.text())
    assert whole_line > title.width()                 # (the line is too short for it: the point of the test)
    assert not title.whole and below.text() == lesson.title and shown_whole(below)
    assert "…" not in below.text()
    head = title.text().split("  ·  ")[0]
    assert title.width() >= title.fontMetrics().horizontalAdvance(head)
    window.resize(2400, 800)                          # a wide box: all of it on the header's line
    qtbot.waitUntil(lambda: title.whole)
    assert not below.isVisible() and title.fontMetrics().horizontalAdvance(title.text()) <= title.width()


def inside_the_box(box, widget) -> bool:
    """The widget is drawn whole inside the lesson box, not scrolled or clipped out of view."""
    top_left = widget.mapTo(box, widget.rect().topLeft())
    area = widget.rect().translated(top_left)
    viewport = box.footer_scroll.viewport()
    seen = viewport.rect().translated(viewport.mapTo(box, viewport.rect().topLeft()))
    return widget.isVisible() and seen.contains(area) and box.rect().contains(area)


def test_at_1280_a_long_steps_question_and_then_its_claims_are_in_view_without_scrolling(qtbot, window):
    """Stacking's last step with a text four times as long: a long text, a question, two claims.
    The question and its choices, then (answered) every claim ✓ / ✗, are whole in the box; the
    text scrolls above them (at 1280×900, where the box lies above the graph alone)."""
    import tomllib
    from explorer.lessons import LESSON_FOLDER, lesson_from_dict
    with open(LESSON_FOLDER / "12-stacking.toml", "rb") as file:
        data = tomllib.load(file)
    data["steps"][1]["text"] = " ".join([data["steps"][1]["text"]] * 4)
    window.resize(1280, 900)
    qtbot.waitUntil(lambda: window.lesson.parentWidget() is window.centralWidget())
    runner = window.open_lesson(lesson_from_dict(data, name="long-stacking"), 0, run=False)
    runner.run_through(0)
    settle(qtbot, window)
    box = window.lesson
    box.next.click()                                     # a real click on Next ▶
    qtbot.waitUntil(lambda: runner.index == 1 and runner.waiting_for_answer)
    choices = lambda: [b for b in box.choices.findChildren(QPushButton) if b.isVisible()]
    qtbot.waitUntil(lambda: len(choices()) == len(runner.step.choices) and
                    all(inside_the_box(box, widget) for widget in [box.question, *choices()]), timeout=2000)
    assert box.scroll.verticalScrollBar().maximum() > 0  # (the text is longer than the box: the point)
    assert "Predict first" in plain(box.question.text())
    qtbot.mouseClick(box.findChild(QPushButton, f"lesson:choice:{runner.step.answer}"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not runner.running and box.claims.isVisible(), timeout=30_000)
    settle(qtbot, window)
    labels = lambda: [label for label in box.claim_labels if label.isVisible()]
    qtbot.waitUntil(lambda: len(labels()) == len(runner.step.claims) == 2 and
                    all(inside_the_box(box, label) and shown_whole(label) for label in labels()), timeout=2000)
    assert all(plain(label.text())[0] in "✓✗" for label in labels())


def test_at_1280_three_long_claims_are_whole_and_the_text_keeps_a_line(qtbot, window):
    """Truncation's first step, T = 1000: three claims of two or three lines each. Every claim's
    last line is in the box (it was cut: the box had given them less than they need); the step's
    text scrolls above them, its title and a line in view."""
    runner = window.open_lesson("truncation", 0)
    qtbot.waitUntil(lambda: not runner.running, timeout=30_000)
    settle(qtbot, window)
    box = window.lesson
    labels = lambda: [label for label in box.claim_labels if label.isVisible()]
    qtbot.waitUntil(lambda: len(labels()) == 3 and all(plain(label.text())[0] == "✓" for label in labels()),
                    timeout=5000)
    qtbot.wait(20)
    assert all(inside_the_box(box, label) and shown_whole(label) for label in labels())
    assert box.footer_scroll.verticalScrollBar().maximum() == 0
    line = box.text.fontMetrics().lineSpacing()
    assert box.scroll.viewport().height() >= box.step_title.height() + line


def test_a_colour_bar_writes_its_ends_and_is_as_wide_as_its_numbers(qtbot):
    """Hidden states of a network that has blown up (±4×10⁴): the colour bar's numbers are not
    reduced to "0": both ends are written, in ×10ⁿ, whole inside the bar's axis."""
    canvas = style.layout_widget()
    qtbot.addWidget(canvas)
    plot = canvas.addPlot(row=0, col=0)
    bar = style.color_bar(style.colormap(style.DIVERGING), "hₜ")
    canvas.addItem(bar, row=0, col=1)
    canvas.resize(500, 300)
    canvas.show()
    qtbot.waitExposed(canvas)
    for levels, ends in [((-41_234.0, 41_234.0), ("−4.1×10⁴", "4.1×10⁴")), ((-0.5, 0.5), ("−0.5", "0.5"))]:
        bar.setLevels(levels)
        qtbot.wait(20)
        numbers = drawn_numbers(bar.axis)
        assert set(ends) <= set(numbers), numbers
        width = bar.axis.width()
        assert all(0 <= rect.left() and rect.right() <= width + 0.5 for rect in numbers.values()), (numbers, width)
    assert plot.getViewBox().width() > 300          # (and the plot keeps its room)


@pytest.mark.parametrize("height", [14, 24, 200])
def test_a_colour_bar_shorter_than_its_two_numbers_writes_them_one_above_the_other(qtbot, height):
    """A one-row sensitivity strip under a three-line legend leaves its colour bar about 12 px:
    its two ends' numbers were drawn over each other. Whatever the bar's height, both ends are
    written, the upper end's above the lower's, apart."""
    canvas = style.layout_widget()
    qtbot.addWidget(canvas)
    plot = canvas.addPlot(row=0, col=0)
    bar = style.color_bar(style.colormap(style.SEQUENTIAL), "log₁₀ S")
    canvas.addItem(bar, row=0, col=1)
    plot.setFixedHeight(height)
    bar.setFixedHeight(height)
    canvas.resize(400, height + 40)
    canvas.show()
    qtbot.waitExposed(canvas)
    bar.setLevels((-8.3, -0.9))
    qtbot.wait(20)
    numbers = drawn_numbers(bar.axis)
    assert {"−0.9", "−8.3"} <= set(numbers), numbers
    upper, lower = numbers["−0.9"], numbers["−8.3"]
    assert upper.bottom() <= lower.top() + 0.5, (upper, lower)
    texts = list(numbers.values())
    assert not any(a.intersects(b) and a.intersected(b).height() > 0.5
                   for i, a in enumerate(texts) for b in texts[i + 1:]), numbers


def test_presenting_at_1024_the_rolled_graph_writes_its_values_inside_the_view(qtbot, window):
    view = window.views["GraphView"]
    present(qtbot, window, (1024, 768))
    view.rolled_box.click()
    qtbot.waitUntil(lambda: view.rolled)
    qtbot.wait(20)
    box = view.plot.getViewBox().sceneBoundingRect()
    labels = [label for label in view._labels if label.isVisible()]
    assert len(labels) == len(view.rows)                     # a value beside every row's node
    for label in labels:
        assert box.contains(label.mapRectToScene(label.boundingRect())), label.toPlainText()
    # ‖∂L/∂h₀‖ written where its row has the lines and the view the width for it (the graph is half of 1024 px)
    h_label = next(label for label in labels if label.toPlainText().startswith("h"))
    room = box.right() - h_label.mapRectToScene(h_label.boundingRect()).left()
    gradient = f"‖∂L/∂h₀‖ = {number(window.state.result.dh_norm_sequence[0, 0, 0])}"
    wide = QFontMetricsF(style.font(style.TICK_PT)).horizontalAdvance(gradient) > room
    assert any("‖" in label.toPlainText() for label in labels) or view._px_per_row() < 60 or wide
    axis = view.plot.getAxis("bottom")
    assert axis.label.boundingRect().width() <= box.width()   # the caption under it whole
    assert view.drawn_edge_count() == 0                       # (no unrolled step's edge behind the cell)


def row_names(view) -> dict:
    return {text: rect for text, rect in drawn_numbers(view.plot.getAxis("left")).items()}


@pytest.mark.parametrize("config, size", [(dict(layers=4, hidden=16, seq_len=30), None),
                                          (dict(cell="lstm", hidden=16), (1024, 768))])
def test_the_graphs_row_names_never_overlap_and_an_lstm_names_its_cell_row(qtbot, window, config, size):
    assert window.state.set_config(**config)
    settle(qtbot, window)
    if size is not None:
        present(qtbot, window, size)
    view = window.views["GraphView"]
    qtbot.wait(20)
    names = sorted(row_names(view).items(), key=lambda item: item[1].top())
    assert len(names) >= 3, names
    for (_, upper), (_, lower) in zip(names, names[1:]):
        assert upper.bottom() <= lower.top() + 1, names       # no name over the next
    height = view.plot.getAxis("left").height()
    assert all(-1 <= rect.top() and rect.bottom() <= height + 1 for _, rect in names)
    if config.get("cell") == "lstm":
        assert any(text.startswith("c") for text, _ in names), names


@pytest.mark.parametrize("size", [None, (1024, 768)])
def test_the_stacking_lessons_four_layers_are_each_named_apart_and_the_graph_is_whole(qtbot, window, size):
    """Stacking's last step at 1280 × 800 and presented at 1024 × 768: seven rows (x, four h, ŷ, L),
    each named a line apart from the next, the graph whole above the panel below (its axis was cut)."""
    if size is not None:
        present(qtbot, window, size)
    runner = window.open_lesson("stacking", 1)
    box = window.lesson
    qtbot.waitUntil(lambda: box.findChild(QPushButton, "lesson:choice:0") is not None, timeout=5000)
    qtbot.mouseClick(box.findChild(QPushButton, "lesson:choice:0"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not runner.running, timeout=30_000)
    settle(qtbot, window)
    view = window.views["GraphView"]
    assert len(view.rows) == 7
    names = sorted(row_names(view).items(), key=lambda item: item[1].top())
    assert [text for text, _ in names] == ["Lₜ", "ŷₜ", "hₜ⁽³⁾", "hₜ⁽²⁾", "hₜ⁽¹⁾", "hₜ⁽⁰⁾", "xₜ"], names
    for (_, upper), (_, lower) in zip(names, names[1:]):
        assert upper.bottom() <= lower.top() + 1, names
    central = window.centralWidget()
    assert central.rect().contains(QRect(view.mapTo(central, view.rect().topLeft()), view.size()))
    assert view.height() >= view.minimumHeight()


def ring_and_view(view):
    """The step ring's drawn extent and the plot's, in scene px (the ring's pen included)."""
    vb = view.plot.getViewBox()
    point = vb.mapViewToScene(pg.Point(float(view.marker.data["x"][0]), float(view.marker.data["y"][0])))
    size = float(view.marker.data["size"][0])
    radius = ((size if size >= 0 else view.marker.opts["size"]) + view.marker.opts["pen"].widthF()) / 2
    return (point.x() - radius, point.y() - radius, point.x() + radius, point.y() + radius), vb.sceneBoundingRect()


def test_the_graph_ends_at_its_last_step(qtbot, window):
    """After step T − 1 there is room for the ring around its node and no more: no column, no
    step number T."""
    view = window.views["GraphView"]
    T = window.state.record.seq_len
    window.state.select(step=T - 1)
    qtbot.wait(20)
    (x0, x1), _ = view.plot.getViewBox().viewRange()
    (_, _, ring_right, _), box = ring_and_view(view)
    last = view.plot.getViewBox().mapViewToScene(pg.Point(T - 1.0, 0.0)).x()
    room = box.right() - last                                   # px right of the last step's node
    assert room <= max(ring_right - last + 3, 0.6 * box.width() / (x1 - x0)), (box.right(), last, ring_right)
    assert x1 < T and x0 > -T                                   # (less than a step after the last)
    assert str(T) not in drawn_numbers(view.plot.getAxis("bottom"))


@pytest.mark.parametrize("config", [dict(seq_len=30), dict(layers=4, seq_len=30),
                                    dict(task="sine", seq_len=1000, hidden=16, truncation="tbptt", k1=20, k2=20)])
def test_the_step_ring_is_whole_at_the_first_and_the_last_step(qtbot, window, config):
    """The ring marking the selected step, at t = 0 and at t = T − 1, is drawn whole inside the
    graph (not half under its axis), and so among the bands (T = 1000), where the cursor's
    "t = …" stands at the top of the plot, clear of the x and ŷ rails."""
    assert window.state.set_config(**config)
    settle(qtbot, window)
    view = window.views["GraphView"]
    T = window.state.record.seq_len
    for step in (0, T - 1):
        window.state.select(step=step)
        qtbot.wait(20)
        (left, top, right, bottom), box = ring_and_view(view)
        assert box.left() <= left and right <= box.right() and box.top() <= top and bottom <= box.bottom(), \
            (step, (left, top, right, bottom), box)
        assert str(T) not in drawn_numbers(view.plot.getAxis("bottom"))
        if T == 1000:
            assert view.band_mode()
            label = view.cursor_line.label
            text = label.mapRectToScene(label.boundingRect())
            assert label.isVisible() and label.toPlainText() == f"t = {step}"
            assert box.contains(text), (text, box)
            vb = view.plot.getViewBox()
            y_rail = vb.mapViewToScene(pg.Point(0.0, float(view.y_row))).y()
            assert text.bottom() < y_rail, (text, y_rail)               # (above the ŷ rail, so above x too)
            # a loss at every step: the label is drawn over the row of loss nodes, not hidden under it
            image = view.canvas.grab().toImage()
            rect = view.canvas.mapFromScene(text).boundingRect().adjusted(3, 3, -3, -3)
            loss = QColor(style.step_color("L"))
            near = lambda c: abs(c.red() - loss.red()) + abs(c.green() - loss.green()) + abs(c.blue() - loss.blue()) < 60
            pixels = [image.pixelColor(x, y) for x in range(rect.left(), rect.right()) for y in range(rect.top(), rect.bottom())]
            assert sum(map(near, pixels)) < 0.05 * len(pixels), sum(map(near, pixels)) / len(pixels)


def test_at_t_1000_the_rows_of_bands_are_apart(qtbot, window):
    """Truncation at T = 1000 on a task with an input at every step: the edges are bands; between
    the x and ŷ rows the three (x → h, along h, h → ŷ) are each drawn with a visible gap from the
    next, also over the segments' tints."""
    assert window.state.set_config(task="sine", seq_len=1000, hidden=16, truncation="tbptt", k1=20, k2=20)
    settle(qtbot, window)
    view = window.views["GraphView"]
    qtbot.waitUntil(view.band_mode)
    qtbot.wait(20)
    image = view.canvas.grab().toImage()
    vb = view.plot.getViewBox()
    column = view.canvas.mapFromScene(vb.mapViewToScene(pg.Point(500.0, 0.0))).x()
    top = view.canvas.mapFromScene(vb.mapViewToScene(pg.Point(500.0, float(view.y_row)))).y()
    bottom = view.canvas.mapFromScene(vb.mapViewToScene(pg.Point(500.0, 0.0))).y()
    lightness = [image.pixelColor(column, y).lightness() for y in range(top + 3, bottom - 2)]
    background = max(lightness)                     # (white, or a segment's tint, between the bands)
    band = [value < background - 20 for value in lightness]      # visibly darker than what is around it
    runs = sum(1 for a, b in zip([False] + band, band) if b and not a)
    assert runs == 3, lightness


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


# ---------------------------------------------------------------------------- what the projector pass fixed

def cell_text_fits(table, row, col) -> bool:
    """A table cell shows its whole text: wrapped at spaces within the cell (less Qt's text margins),
    no word wider than the cell, and all its lines within the row's height."""
    rect = table.visualRect(table.model().index(row, col))
    margin = table.style().pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin, None, table) + 1
    room = rect.width() - 2 * margin
    metrics = table.fontMetrics()
    text = table.item(row, col).text()
    wrapped = metrics.boundingRect(QRect(0, 0, room, 10_000), int(Qt.TextFlag.TextWordWrap), text)
    return (all(metrics.horizontalAdvance(word) <= room for word in text.split())
            and wrapped.height() <= rect.height())


@pytest.mark.parametrize("size", [(1024, 768), (1920, 1080)])
def test_presenting_the_shapes_table_shows_every_cell_whole(qtbot, window, size):
    window.actions["layout:ShapesPanel"].trigger()          # View ▸ Presentation layout ▸ … shapes
    present(qtbot, window, size)
    table = window.views["ShapesPanel"].table
    qtbot.waitUntil(table.isVisible)
    qtbot.wait(20)
    cut = [(table.item(row, 0).text(), col) for row in range(table.rowCount()) for col in range(3)
           if not cell_text_fits(table, row, col)]
    assert cut == []
    assert sum(table.columnWidth(col) for col in range(3)) <= table.viewport().width()
    header = table.horizontalHeader()           # the headings whole too (the first may take two lines)
    for col in range(3):
        heading = table.horizontalHeaderItem(col).text()
        widest = max(header.fontMetrics().horizontalAdvance(line) for line in heading.split("\n"))
        assert widest <= header.sectionSize(col), heading


def data_legend_inside(view) -> bool:
    viewport = view.canvas.mapToScene(view.canvas.viewport().rect()).boundingRect()
    return viewport.contains(view.legend.sceneBoundingRect())


def test_the_data_legend_stays_whole_and_leaves_the_plot_its_width(qtbot, window):
    view = window.views["DataView"]
    window.docks["DataView"].raise_()
    qtbot.waitUntil(view.isVisible)
    qtbot.wait(20)
    plot = view.outputs_plot.getViewBox()
    assert data_legend_inside(view)
    assert plot.height() >= 0.4 * view.canvas.height()      # a short dock: the legend beside the plot
    for _ in range(2):                      # a larger text: the legend grows, and stays whole (at 150 % the
        press(qtbot, window, Qt.Key.Key_Plus, CTRL)   # graph's named rows and the lesson box leave this dock 54 px at 1280×800)
        qtbot.wait(20)
        assert data_legend_inside(view), style.LOOK.zoom
    press(qtbot, window, Qt.Key.Key_0, CTRL)
    window.actions["layout:DataView"].trigger()
    present(qtbot, window, (1024, 768))     # a tall narrow panel: the legend above, the plot wide
    qtbot.wait(20)
    assert data_legend_inside(view)
    assert plot.width() >= 0.7 * view.canvas.width(), (plot.width(), view.canvas.width())


def test_presenting_on_a_narrow_screen_the_letters_keep_to_their_steps(qtbot, window):
    assert window.state.set_config(task="alphabet_forward", seq_len=26)
    settle(qtbot, window)
    window.actions["layout:DataView"].trigger()
    present(qtbot, window, (1024, 768))
    view = window.views["DataView"]
    qtbot.wait(20)
    for row in (0, 1, 2):           # yₜ, ŷₜ, xₜ: each letter narrower than the gap to the next one
        items = sorted((item for item in view.letters if item.isVisible() and item.pos().y() == row),
                       key=lambda item: item.pos().x())
        assert len(items) == 26
        centres = [item.mapToScene(item.boundingRect().center()).x() for item in items]
        widths = [QFontMetricsF(item.textItem.font()).horizontalAdvance(item.toPlainText()) for item in items]
        assert all(w <= b - a for w, a, b in zip(widths, centres, centres[1:])), (row, widths[0], centres[:3])
        first = items[0].mapRectToScene(items[0].boundingRect())
        left_edge = view.outputs_plot.getViewBox().sceneBoundingRect().left()
        assert first.center().x() - widths[0] / 2 >= left_edge - 1      # not over the axis


def test_a_left_axis_writes_all_its_numbers_with_the_same_decimals(qtbot):
    canvas = style.layout_widget()
    qtbot.addWidget(canvas)
    plot = canvas.addPlot()
    style.style_plot(plot, "shares", left="‖C‖")
    axis = plot.getAxis("left")
    labels = [text for spacing, values in axis.tickValues(0.0, 0.42, 500)
              for text in axis.tickStrings(values, 1.0, spacing)]
    assert {"0.05", "0.10", "0.30", "0.35"} <= set(labels), labels       # 0.30 beside 0.35, not 0.3
    assert len({len(text.split(".")[1]) for text in labels if "." in text}) == 1, labels
    steps = style.integer_axis(plot, "left")                              # whole numbers stay whole
    assert [text for spacing, values in steps.tickValues(-0.5, 29.5, 400)
            for text in steps.tickStrings(values, 1.0, spacing)][:2] == ["0", "10"]


def drawn_numbers(axis) -> dict:
    """The numbers an axis really draws (pyqtgraph drops those it finds no room for): text → its
    rectangle, in the axis's coordinates."""
    _, _, texts = draw_specs(axis)
    return {text: rect for rect, _, text in texts}


def test_the_hidden_states_step_axis_labels_step_0_and_shows_every_row_whole(qtbot, window):
    assert window.state.set_config(seq_len=60, hidden=16)
    settle(qtbot, window)
    view = window.views["HiddenStatesView"]
    window.docks["HiddenStatesView"].raise_()
    qtbot.waitUntil(view.isVisible)
    qtbot.wait(20)
    numbers = drawn_numbers(view.plot.getAxis("bottom"))
    assert "0" in numbers                                       # the first step, half a cell from the edge,
    assert max(rect.right() for rect in numbers.values()) <= view.plot.getAxis("bottom").width() + 0.5
    #                                                             and nothing spills right, into the colour bar
    (_, _), (bottom, top) = view.plot.getViewBox().viewRange()
    assert bottom <= -0.5 and top >= 15.5                       # units 0 and 15: whole rows
    assert "_" not in view.plot.titleLabel.text                 # hₜ, as the graph writes it


def test_the_shared_weights_totals_write_as_the_lesson_box_does(qtbot, window):
    """Subscripts, not underscores, and the lesson's four digits: ‖∂L/∂W_hh‖ reads the same in both."""
    from explorer.measures import fill
    view = window.views["WeightSharesView"]
    shown = plain(view.totals.text())
    assert "_" not in shown and "Σt ‖Ct‖ = " in shown, shown
    lesson = fill("${weight_gradient}", window.state)           # what a lesson text writes for it
    assert f"‖∂L/∂Whh‖ = {lesson}," in shown, (lesson, shown)


def test_presenting_the_target_rings_grow_with_the_lines(qtbot, window):
    view = window.views["DataView"]
    normal = view.target_points.opts["size"]
    curve = view.prediction_curve.opts["pen"].widthF()
    present(qtbot, window, (1920, 1080))
    grown = view.prediction_curve.opts["pen"].widthF() / curve        # what presenting does to a line
    assert grown > 1.2
    assert view.target_points.opts["size"] == pytest.approx(grown * normal)


def test_the_regime_badge_writes_a_huge_product_as_the_lesson_box_does(qtbot, window, tmp_path):
    """Weights blown up (as training without clipping leaves them): every number on the badge
    written 1.2×10⁵, never the engine's 1.2e+05."""
    path = tmp_path / "w.npz"
    assert window.files.save_weights(str(path), quiet=True)
    with np.load(path) as saved:
        weights = {name: saved[name] for name in saved.files}
    weights["weight_hh_l0"] = weights["weight_hh_l0"] * 1e5
    np.savez(path, **weights)
    assert window.files.open_weights(str(path), quiet=True)
    settle(qtbot, window)
    shown = plain(window.views["RegimeBadge"].text())
    assert "×10⁵" in shown and "e+" not in shown, shown


# ---------------------------------------------------------------------------- after the second look (#9)

def subscripted(rich: str) -> list:
    """The runs of a rich text that are drawn as subscripts, each with the two characters before it."""
    from PySide6.QtGui import QTextCharFormat
    document = QTextDocument()
    document.setHtml(rich)
    runs, block = [], document.begin()
    while block.isValid():
        before, it = "", block.begin()
        while not it.atEnd():
            fragment = it.fragment()
            if fragment.charFormat().verticalAlignment() == QTextCharFormat.VerticalAlignment.AlignSubScript:
                runs.append((before[-2:], fragment.text()))
            before += fragment.text()
            it += 1
        block = block.next()
    return runs


def test_the_stacking_lesson_writes_a_layers_state_and_the_readout_with_their_steps_below(qtbot, window):
    """ŷ_t (one accented letter) and h⁽ˡ⁾_t (a superscript before the index) are drawn with t as a
    subscript, as W_hh is: the box shows no "_" of the lesson file's plain text."""
    runner = window.open_lesson("stacking", 0, run=False)
    for index, symbol in [(0, "ŷ"), (1, "⁽ˡ⁾")]:
        runner.run_through(index)
        settle(qtbot, window)
        shown = window.lesson.text.text()
        runs = subscripted(shown)
        assert "_" not in plain(shown).replace("seq_len", ""), plain(shown)
        assert any(before.endswith(symbol[-1]) and text == "t" for before, text in runs), runs


def test_with_the_nan_banner_showing_at_1280_the_claims_stay_whole_and_the_text_scrolls(qtbot, window):
    """Exploding gradients, training without clipping: the NaN banner takes its place under the
    lesson box; the box gives way in its text (it scrolls, at the verdict on the answer), never in
    its claims."""
    runner = window.open_lesson("exploding", 0, run=False)
    runner.run_through(1)
    settle(qtbot, window)
    box = window.lesson
    assert window.alert.isVisible() and "NaN" in window.alert.title.text()
    labels = lambda: [label for label in box.claim_labels if label.isVisible()]
    qtbot.waitUntil(lambda: len(labels()) == len(runner.step.claims) >= 2, timeout=5000)
    qtbot.wait(20)
    assert all(inside_the_box(box, label) and shown_whole(label) for label in labels()), \
        [(plain(label.text()), label.height(), label.heightForWidth(label.width())) for label in labels()]
    assert box.footer_scroll.verticalScrollBar().maximum() == 0        # (the claims do not scroll)
    assert box.scroll.verticalScrollBar().maximum() > 0                # (the text does: the point)
    assert box.feedback.visibleRegion().boundingRect().height() >= box.feedback.height() - 1   # (at the answer)


def test_a_choice_and_the_feedback_on_it_write_sigma_max_as_the_text_does(qtbot, window):
    """Activations, step 1: the choice "nowhere: σ_max = 1" reads σₘₐₓ on its button (a button has
    no rich text) and, clicked, the feedback on it writes σ with max below, not "σ_max"."""
    runner = window.open_lesson("activations", 0)
    box = window.lesson
    qtbot.waitUntil(lambda: runner.waiting_for_answer and box.choices.isVisible(), timeout=10_000)
    button = box.findChild(QPushButton, "lesson:choice:2")
    assert button.text() == "nowhere: σₘₐₓ = 1"
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: box.feedback.isVisible(), timeout=10_000)
    shown = box.feedback.text()
    assert "not quite" in plain(shown) and "_" not in plain(shown), plain(shown)
    assert ("σ", "max") in [(before[-1:], text) for before, text in subscripted(shown)], subscripted(shown)


def test_the_weight_names_beside_the_ringed_node_stand_clear_of_the_ring(qtbot, window):
    """W_ih and W_hy are written left of the ringed step's edges, not under the ring: rolled, and
    unrolled at T = 5 (a name at every step) with the ring on step 2."""
    view = window.views["GraphView"]
    assert window.state.set_config(seq_len=5)
    settle(qtbot, window)
    window.state.select(step=2)
    qtbot.wait(20)

    def names_left_of_the_ring():
        (left, top, right, bottom), _ = ring_and_view(view)
        near = []                  # of each name, the one nearest the ring from the left: the ringed step's
        for name in ("Wih", "Why"):
            rects = [label.mapRectToScene(label.boundingRect()) for label in view._weight_texts
                     if label.isVisible() and label.textItem.toPlainText() == name]
            near += [max((rect for rect in rects if rect.left() < right), key=lambda rect: rect.right())]
        return all(rect.right() <= left + 1 for rect in near), (near, (left, right))

    fine, seen = names_left_of_the_ring()
    assert fine, seen
    view.rolled_box.click()
    qtbot.waitUntil(lambda: view.rolled)
    qtbot.wait(20)
    fine, seen = names_left_of_the_ring()
    assert fine, seen


def test_the_clipping_plot_stays_square_with_its_legend_above_when_presenting_at_1024(qtbot, window):
    """Exploding gradients, step 4 (the Clipping view). Presenting at 1024 the view is tall and
    narrow: the legend stands above the plot, which keeps its width (not a strip beside the list);
    at 1280 in a short wide dock the legend stands beside it. Either way one unit is as long on
    both axes, so g's own direction is drawn at 45°."""
    runner = window.open_lesson("exploding", 0, run=False)
    runner.run_through(3)
    settle(qtbot, window)
    view = window.views["ClippingView"]

    def layout():
        qtbot.wait(50)
        vb = view.plot.getViewBox()
        box = vb.sceneBoundingRect()
        legend = view.legend.mapRectToScene(view.legend.boundingRect())
        (x0, x1), (y0, y1) = vb.viewRange()
        return box, legend, (box.width() / (x1 - x0)) / (box.height() / (y1 - y0))

    present(qtbot, window, (1024, 768))
    qtbot.waitUntil(lambda: view.isVisible(), timeout=5000)
    box, legend, aspect = layout()
    assert legend.bottom() <= box.top() + 1, (legend, box)             # above
    assert box.width() >= 0.8 * box.height() and box.width() > 300, box
    assert aspect == pytest.approx(1, rel=0.02)
    window.actions["leave_presentation"].trigger()
    qtbot.waitUntil(lambda: not window.presentation.presenting)
    window.resize(1280, 800)
    window.apply_default_sizes()
    qtbot.waitUntil(lambda: view.isVisible(), timeout=5000)
    box, legend, aspect = layout()
    assert legend.left() >= box.right() - 1, (legend, box)             # beside
    assert aspect == pytest.approx(1, rel=0.02)


def test_presenting_at_1024_the_nan_message_is_read_whole_in_its_banner(qtbot, window):
    """Exploding step 2 trains into NaN: the message is longer than a 1024 px line; the banner
    over the graph wraps it and is as high as its lines, and the status bar does not repeat it."""
    present(qtbot, window, (1024, 768))
    window.open_lesson("exploding", step=1)
    choice = window.lesson.findChild(QPushButton, "lesson:choice:0")
    qtbot.mouseClick(choice, Qt.MouseButton.LeftButton)      # (any answer: the step then trains)
    settle(qtbot, window)
    qtbot.wait(50)
    label = window.alert.text
    message = label.text()
    assert window.alert.isVisible() and label.isVisible()
    assert message.startswith("NaN/Inf in the loss") and message.endswith("the last finite ones."), message
    assert label.fontMetrics().horizontalAdvance(message) > label.width()     # (one line is too short for it)
    assert label.height() >= label.heightForWidth(label.width()), (label.height(), label.heightForWidth(label.width()))
    assert label.mapTo(window, label.rect().bottomRight()).y() <= window.rect().bottom()
    assert window.statusBar().currentMessage() != message


def test_the_inputs_are_drawn_behind_the_forecast_that_follows_them(qtbot, window):
    """sequence-data 2: the trained forecast ŷ_t is today's price x_t; drawn after it, the input's
    line hid the orange forecast the step is about."""
    window.open_lesson("sequence-data", 1)
    qtbot.waitUntil(lambda: window.state.idle and not window.state.training, timeout=60_000)
    view = window.views["DataView"]
    assert view.prediction_curve.isVisible() and view.input_curves
    for curve in view.input_curves:       # (pyqtgraph draws the larger z over; at equal z, the later added)
        assert curve.zValue() < view.prediction_curve.zValue()


def test_the_rolled_graphs_axis_has_no_marks_without_numbers(qtbot, window):
    """Rolled, the graph's bottom axis has no steps to count: it wrote none, but five stray tick
    marks stood under "one column stands for every step (rolled)". Unrolled, its ticks and numbers
    are back."""
    view = window.views["GraphView"]
    axis = view.plot.getAxis("bottom")
    _, ticks, numbers = draw_specs(axis)
    assert ticks and numbers
    view.rolled_box.click()
    settle(qtbot, window)
    _, ticks, numbers = draw_specs(axis)
    assert not numbers and not ticks, ticks
    view.rolled_box.click()
    settle(qtbot, window)
    _, ticks, numbers = draw_specs(axis)
    assert ticks and numbers
