"""Lesson files: reading and checking them (TOML, with Python's ``tomllib``).

A lesson is a title and an ordered list of steps. A teacher writes one without reading the code::

    title = "Vanishing gradients"
    summary = "An RNN with 60 steps is a 60-layer network: the gradient fades on its way back."
    config = { task = "delayed_recall", seq_len = 60, hidden = 16 }   # the lesson's starting point

    [[steps]]
    title = "The gradient on its way back"
    text = "…"                          # formulas in Unicode; ${expression} quotes a measured value
    config = { scale_kind = "sigma", scale = 0.9 }   # changes from here on (controls' names)
    new_weights = true                  # draw fresh initial weights (default: when config is given)
    run = "finish"                      # none | forward | backward | finish | train
    view = "gradient_flow"              # the view the step is about (raised in the window)
    # rows = ["W_hh", "W"]              # (with view = "shapes") the table's rows the step is about, kept in view
    rolled = false                      # the graph rolled (one column, a loop) or unrolled
    keep_previous_as = "tanh RNN"       # the run so far stays on the plots under this name
    compare = { cell = "lstm" }         # A/B: side B, this step with these changes, on the same batch
    compare_as = "LSTM"                 # what the plots call B (default: what differs)
    question = "Where is the gradient smallest?"      # asked before the result is shown
    choices = ["at step 0", "at step 59"]              # optional; answer = the right one's index
    answer = 0
    explain = "…"                       # shown with the result

    [[steps.claims]]
    says = "The gradient reaching step 0 is at most (γσ_max)⁵⁹ of the one at step 59"
    check = "gradient(0) / gradient(59) <= bound(59)"

``run = "forward"`` or ``"backward"`` with ``to = t`` steps until the forward pass has computed step
t, or the backward pass has reached it; ``run = "train"`` trains ``updates`` updates, stopping early
when ``until`` (an expression) holds. Claims and ``until`` use the quantities of
:mod:`explorer.quantities`. Each step's configuration is the defaults, then the lesson's ``config``,
then every step's ``config`` up to it: going back to a step gives the same setup again.

A file that breaks these rules is refused with one line naming the step and the problem.
"""

import pathlib
import re
import tomllib
from dataclasses import dataclass, field, fields

from rnn.errors import RnnInputError
from rnn.params import NetworkSpec, shapes_table

from .comparison import compared_config
from .config import ExplorerConfig
from .measures import ExpressionError, check_placeholders, parse

LESSON_FOLDER = pathlib.Path(__file__).resolve().parent.parent / "resources" / "lessons"
MAX_FILE_BYTES = 1 << 20
RUNS = ("none", "forward", "backward", "finish", "train")
VIEWS = {   # a lesson's name for a view → the window's view
    "graph": "GraphView", "gradient_flow": "GradientFlowView", "training": "TrainingView",
    "hidden_states": "HiddenStatesView", "data": "DataView", "weights": "WeightSharesView",
    "inspector": "InspectorView",
    "shapes": "ShapesPanel", "clipping": "ClippingView",
}
MAX_UPDATES = 100_000


def shape_row_name(symbol: str) -> str:
    """A shapes-table row's name in a step's ``rows``: its math symbol without the PyTorch name or
    the layer ("W_hh (weight_hh_l0)" → "W_hh", "W = [W_hh W_ih] (layer 0)" → "W", "ŷ_t" → "ŷ_t")."""
    return re.split(r" \(| = ", symbol, maxsplit=1)[0]


SHAPE_ROWS = tuple(dict.fromkeys(   # every row name the shapes table has (an LSTM's: with c_t)
    shape_row_name(symbol) for symbol, _, _ in shapes_table(NetworkSpec(cell="lstm"), 1, 1, "xent")))
_CONFIG_KEYS = tuple(f.name for f in fields(ExplorerConfig))
_LESSON_KEYS = ("title", "summary", "config", "steps")
_STEP_KEYS = ("title", "text", "config", "new_weights", "run", "to", "updates", "until", "view", "zoom", "controls",
              "rows", "rolled", "keep_previous_as", "compare", "compare_as", "question", "choices", "answer", "explain", "claims")
_CLAIM_KEYS = ("says", "check")


class LessonError(RnnInputError):
    """A lesson file that cannot be used; the message names the file, the step and the problem."""


@dataclass(frozen=True)
class Claim:
    says: str      # the claim in words
    check: str     # the expression that measures it (explorer.measures)


@dataclass(frozen=True)
class LessonStep:
    title: str
    text: str
    config: dict = field(default_factory=dict)
    new_weights: bool = False
    run: str = "none"
    to: int | None = None
    updates: int = 0
    until: str = ""
    view: str = ""
    zoom: tuple | None = None      # (first, last): the steps the views along t show; None: every step
    controls: tuple = ()           # the controls the step asks the student to use (shown when presenting)
    rows: tuple = ()               # the shapes table's rows the step is about (shape_row_name), kept in view
    rolled: bool | None = None     # the graph drawn rolled (one column) or unrolled; None: as it is
    keep_previous_as: str = ""     # keep the run so far, under this label, to compare on the same plots
    compare: dict = field(default_factory=dict)   # A/B: side B is this step's configuration with these changes
    compare_as: str = ""           # what the plots call side B (default: what differs)
    question: str = ""
    choices: tuple = ()
    answer: int | None = None
    explain: str = ""
    claims: tuple = ()


@dataclass(frozen=True)
class Lesson:
    name: str
    title: str
    summary: str
    steps: tuple
    config: dict = field(default_factory=dict)
    path: str = ""

    def config_at(self, index: int) -> ExplorerConfig:
        """The whole configuration of step ``index``: defaults, the lesson's, every step's up to it."""
        merged = dict(self.config)
        for step in self.steps[:index + 1]:
            merged.update(step.config)
        return ExplorerConfig().with_(**merged)


def shipped_lessons(folder=LESSON_FOLDER) -> list[Lesson]:
    """The lessons that come with the app, in the order of their file names."""
    return [read_lesson(path) for path in sorted(pathlib.Path(folder).glob("*.toml"))]


def lesson_name(path) -> str:
    """A lesson's name from its file name: "03-vanishing.toml" → "vanishing"."""
    stem = pathlib.Path(path).stem
    head, _, rest = stem.partition("-")
    return rest if head.isdigit() and rest else stem


def read_lesson(path) -> Lesson:
    """Read and check a lesson file. Raises LessonError with one line naming the problem."""
    path = pathlib.Path(path)
    where = path.name
    try:
        if not path.is_file():
            raise LessonError(f"{where}: not a lesson file (no such file, or not a regular file)")
        if path.stat().st_size > MAX_FILE_BYTES:
            raise LessonError(f"{where}: a lesson file is at most {MAX_FILE_BYTES // 1024} KiB")
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except LessonError:
        raise
    except tomllib.TOMLDecodeError as error:
        raise LessonError(f"{where}: not valid TOML ({error})") from None
    except UnicodeDecodeError:
        raise LessonError(f"{where}: not a UTF-8 text file") from None
    except (OSError, RecursionError, ValueError) as error:
        raise LessonError(f"{where}: cannot be read ({error.__class__.__name__}: {error})") from None
    return lesson_from_dict(data, name=lesson_name(path), where=where, path=str(path))


def lesson_from_dict(data: dict, name: str = "lesson", where: str = "lesson", path: str = "") -> Lesson:
    _only(data, _LESSON_KEYS, where)
    title = _text(data, "title", where, required=True)
    summary = _text(data, "summary", where)
    base = _config(data.get("config", {}), where)
    raw_steps = data.get("steps")
    if not isinstance(raw_steps, list) or not raw_steps:
        raise LessonError(f"{where}: a lesson needs at least one [[steps]]")
    steps = tuple(_step(raw, f"{where}, step {i + 1}") for i, raw in enumerate(raw_steps))
    lesson = Lesson(name=name, title=title, summary=summary, steps=steps, config=base, path=path)
    for i in range(len(steps)):
        try:
            compared_config(lesson.config_at(i), steps[i].compare)
        except (RnnInputError, TypeError, ValueError) as error:
            raise LessonError(f"{where}, step {i + 1}: {error}") from None
    return lesson


def _step(raw, where: str) -> LessonStep:
    if not isinstance(raw, dict):
        raise LessonError(f"{where}: a step must be a table")
    _only(raw, _STEP_KEYS, where)
    config = _config(raw.get("config", {}), where)
    compare = _config(raw.get("compare", {}), where, "compare")
    if "compare_as" in raw and not compare:
        raise LessonError(f"{where}: compare_as names side B: it goes with compare = {{ … }}")
    run = raw.get("run", "none")
    if run not in RUNS:
        raise LessonError(f"{where}: run must be one of {', '.join(RUNS)}, got {run!r}")
    to = raw.get("to")
    if to is not None and (run not in ("forward", "backward") or not _whole(to, 0, 10**6)):
        raise LessonError(f"{where}: to = t (a step number ≥ 0) goes with run = \"forward\" or \"backward\"")
    updates = raw.get("updates", 0)
    if run == "train" and not _whole(updates, 1, MAX_UPDATES):
        raise LessonError(f"{where}: run = \"train\" needs updates = a number from 1 to {MAX_UPDATES}")
    if run != "train" and ("updates" in raw or "until" in raw):
        raise LessonError(f"{where}: updates and until go with run = \"train\"")
    until = _expression(raw.get("until", ""), where, "until") if "until" in raw else ""
    view = raw.get("view", "")
    if view and view not in VIEWS:
        raise LessonError(f"{where}: view must be one of {', '.join(VIEWS)}, got {view!r}")
    zoom = raw.get("zoom")
    if zoom is not None and not (isinstance(zoom, list) and len(zoom) == 2 and all(_whole(t, 0, 10**6) for t in zoom)
                                 and zoom[0] <= zoom[1]):
        raise LessonError(f"{where}: zoom must be [first, last], two step numbers with first ≤ last")
    controls = raw.get("controls", [])
    if not isinstance(controls, list) or not all(isinstance(c, str) for c in controls):
        raise LessonError(f"{where}: controls must be a list of setting names")
    unknown = [c for c in controls if c not in _CONFIG_KEYS]
    if unknown:
        raise LessonError(f"{where}: controls names unknown setting {unknown[0]!r}")
    rows = raw.get("rows", [])
    if not isinstance(rows, list) or not all(isinstance(r, str) for r in rows):
        raise LessonError(f"{where}: rows must be a list of the shapes table's tensor names")
    if rows and view != "shapes":
        raise LessonError(f"{where}: rows names rows of the shapes table: it goes with view = \"shapes\"")
    unknown = [r for r in rows if r not in SHAPE_ROWS]
    if unknown:
        raise LessonError(f"{where}: rows names no row of the shapes table: {unknown[0]!r}; known: {', '.join(SHAPE_ROWS)}")
    choices = raw.get("choices", [])
    if not isinstance(choices, list) or not all(isinstance(c, str) and c.strip() for c in choices):
        raise LessonError(f"{where}: choices must be a list of texts")
    answer = raw.get("answer")
    if answer is not None and not (choices and _whole(answer, 0, len(choices) - 1)):
        raise LessonError(f"{where}: answer must be the index (from 0) of one of the choices")
    question = _text(raw, "question", where)
    if choices and not question:
        raise LessonError(f"{where}: choices need a question")
    rolled = raw.get("rolled")
    if rolled is not None and not isinstance(rolled, bool):
        raise LessonError(f"{where}: rolled must be true or false")
    new_weights = raw.get("new_weights", bool(config))
    if not isinstance(new_weights, bool):
        raise LessonError(f"{where}: new_weights must be true or false")
    claims = raw.get("claims", [])
    if not isinstance(claims, list):
        raise LessonError(f"{where}: claims must be a list of [[steps.claims]] tables")
    step = LessonStep(
        title=_text(raw, "title", where, required=True), text=_text(raw, "text", where, required=True),
        config=config, new_weights=new_weights, run=run, to=to, updates=int(updates) if run == "train" else 0,
        until=until, view=view, zoom=None if zoom is None else tuple(zoom), controls=tuple(controls),
        rows=tuple(rows), rolled=rolled, keep_previous_as=_text(raw, "keep_previous_as", where),
        compare=compare, compare_as=_text(raw, "compare_as", where), question=question, choices=tuple(choices), answer=answer,
        explain=_text(raw, "explain", where), claims=tuple(_claim(c, f"{where}, claim {j + 1}")
                                                           for j, c in enumerate(claims)))
    for text in (step.text, step.question, step.explain, *(c.says for c in step.claims)):
        try:
            check_placeholders(text)
        except ExpressionError as error:
            raise LessonError(f"{where}: {error}") from None
    return step


def _claim(raw, where: str) -> Claim:
    if not isinstance(raw, dict):
        raise LessonError(f"{where}: a claim must be a table with says and check")
    _only(raw, _CLAIM_KEYS, where)
    return Claim(says=_text(raw, "says", where, required=True),
                 check=_expression(raw.get("check"), where, "check"))


def _expression(value, where: str, key: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise LessonError(f"{where}: {key} must be an expression, e.g. \"loss < 0.5 * baseline\"")
    try:
        parse(value)
    except ExpressionError as error:
        raise LessonError(f"{where}: {key}: {error}") from None
    return value.strip()


def _config(value, where: str, key: str = "config") -> dict:
    if not isinstance(value, dict):
        raise LessonError(f"{where}: {key} must be a table of control names and values")
    unknown = sorted(set(value) - set(_CONFIG_KEYS))
    if unknown:
        raise LessonError(f"{where}: unknown setting {unknown[0]!r} in {key}; known: {', '.join(_CONFIG_KEYS)}")
    return dict(value)


def _only(table: dict, allowed, where: str):
    unknown = [key for key in table if key not in allowed]
    if unknown:
        raise LessonError(f"{where}: unknown key {unknown[0]!r}; allowed: {', '.join(allowed)}")


def _text(table: dict, key: str, where: str, required: bool = False) -> str:
    value = table.get(key, "")
    if not isinstance(value, str) or (required and not value.strip()):
        raise LessonError(f"{where}: {key} must be {'a non-empty' if required else 'a'} text")
    return value.strip()


def _whole(value, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high
