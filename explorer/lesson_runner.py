"""Running a lesson on a session, step by step, with no Qt: the window's lesson panel and the
headless tests drive the same :class:`LessonRunner`.

Entering a step sets its configuration (one ``set_config``, fresh weights if the step asks), then,
unless it asks a question first, runs what it runs. A step with a question waits for
:meth:`LessonRunner.reveal` (predict, then observe). Its claims are measured from the session
whenever the pass or the training history changes, and shown ✓, ✗ or pending. ``until`` stops a
training step at the first update after which it holds.
"""

import time

from psygnal import Signal

from .lessons import Lesson
from .measures import Measurement, evaluate, fill, measure
from .quantities import NotMeasured
from .session import Phase


class LessonRunner:
    step_changed = Signal(int)        # a new step was entered
    revealed_changed = Signal(bool)   # the step's question was answered (its result is shown)
    measured = Signal()               # the claims (and the texts' quoted values) were measured again

    def __init__(self, session, lesson: Lesson):
        self.session, self.lesson = session, lesson
        self.index = -1
        self.revealed = False
        self.choice = None
        self.measurements: list[Measurement] = []
        self._run_pending = False      # the step's run waits for the pass its configuration needs
        self._target = None            # advance_to: the step to arrive at, one run after another
        self._advancing = self._entering = False
        session.clear_references()     # (a lesson compares only the runs it made)
        session.pass_changed.connect(self._on_pass_changed)
        session.history_changed.connect(self._on_history_changed)
        session.phase_changed.connect(self._on_phase_changed)

    def close(self):
        """Stop following the session (the lesson was closed or replaced)."""
        for signal, slot in ((self.session.pass_changed, self._on_pass_changed),
                             (self.session.history_changed, self._on_history_changed),
                             (self.session.phase_changed, self._on_phase_changed)):
            signal.disconnect(slot)

    # ------------------------------------------------------------------ where we are
    @property
    def step(self):
        return self.lesson.steps[self.index]

    @property
    def count(self) -> int:
        return len(self.lesson.steps)

    @property
    def can_go_back(self) -> bool:
        return self.index > 0

    @property
    def can_go_on(self) -> bool:
        return self.index < self.count - 1

    @property
    def waiting_for_answer(self) -> bool:
        return bool(self.step.question) and not self.revealed

    @property
    def running(self) -> bool:
        """The step's run has not finished yet (its pass is computing, or it is training)."""
        return self._run_pending or (self.step.run == "train" and self.session.phase is Phase.TRAINING)

    def text(self) -> str:
        """The step's text with its quoted values measured now."""
        return fill(self.step.text, self.session)

    def explanation(self) -> str:
        return fill(self.step.explain, self.session) if self.revealed else ""

    def answered_right(self) -> bool | None:
        if self.choice is None or self.step.answer is None:
            return None
        return self.choice == self.step.answer

    # ------------------------------------------------------------------ moving
    def go_to(self, index: int, run: bool = True):
        """Enter step ``index``: its configuration, then its run (after its question, if any).
        ``run=False`` only moves there (the session already holds the step's state)."""
        if not 0 <= index < self.count:
            raise IndexError(f"the lesson has steps 1…{self.count}")
        self._entering = True             # (the events of its set-up must not move on meanwhile)
        try:
            self._enter(index, run)
        finally:
            self._entering = False

    def _enter(self, index: int, run: bool):
        session = self.session
        if run:
            session.pause_training()
        self.index, self.revealed, self.choice = index, False, None
        step = self.step
        config = self.lesson.config_at(index)
        if run:
            self._keep_references(index)
            b = session.compared
            if b is not None and (b.changes != step.compare or step.new_weights):
                session.stop_comparing()         # (B starts again with A: fresh weights with A's)
        if run and (config != session.requested or step.new_weights):
            session.set_config(reinitialise=step.new_weights, **config.to_dict())
        if run and step.compare and session.compared is None:
            session.compare(step.compare_as or None, **step.compare)
        self._run_pending = run and not step.question
        self.step_changed.emit(index)
        self._run_when_ready()
        self._measure()

    def _keep_references(self, index: int):
        """The comparisons of step ``index``: the steps before it that keep their run, in order.
        Going forward keeps the run just left; going back drops what later steps kept."""
        wanted = [step.keep_previous_as for step in self.lesson.steps[:index + 1] if step.keep_previous_as]
        session = self.session
        kept = [reference.label for reference in session.references]
        if kept[:len(wanted)] == wanted:           # going back: drop the later ones
            session.references = session.references[:len(wanted)]
            session.references_changed.emit()
        elif kept == wanted[:-1] and self.step.keep_previous_as:
            session.keep_reference(self.step.keep_previous_as)
        else:                                      # a jump: nothing earlier to compare with
            session.clear_references()

    def next(self):
        self._target = None               # (the user moves: an advance_to on the way stops)
        if self.can_go_on:
            self.go_to(self.index + 1)

    def back(self):
        self._target = None
        if self.can_go_back:
            self.go_to(self.index - 1)

    def reveal(self, choice: int | None = None, run: bool = True):
        """Answer the step's question (``choice``: the index of a choice) and run the step."""
        if self.revealed or not self.step.question:
            return
        self.choice = choice
        self.revealed = True
        self._run_pending = run
        self.revealed_changed.emit(True)
        self._run_when_ready()
        self._measure()

    # ------------------------------------------------------------------ running a step
    def _ready(self) -> bool:
        s = self.session
        return s.requested == s.config and s.phase is not Phase.COMPUTING

    def _run_when_ready(self):
        if not self._run_pending or not self._ready():
            return
        self._run_pending = False
        step, session = self.step, self.session
        if step.run == "finish":
            session.finish_pass()
        elif step.run in ("forward", "backward"):
            self._step_to(step.run, step.to)
        elif step.run == "train" and not (step.until and self._until_holds()):
            session.start_training(step.updates, until=(lambda _: self._until_holds()) if step.until else None)

    def _step_to(self, direction: str, to):
        """Step from the start of the pass until the forward pass has computed ``to`` (or, going
        backward, until the backward pass has reached it); without ``to``: the whole of it."""
        session = self.session
        session.reset_pass()
        T = session.config.seq_len
        target = T - 1 if to is None or direction == "backward" else min(int(to), T - 1)
        while session.result.forward_done <= target and not session.result.forward_complete:
            session.step_forward()
        if direction == "forward":
            return
        stop = 0 if to is None else min(int(to), T - 1)
        while not session.result.backward_complete and not session.result.visited[stop]:
            session.step_backward()

    def _until_holds(self) -> bool:
        try:
            return bool(evaluate(self.step.until, self.session))
        except NotMeasured:
            return False

    # ------------------------------------------------------------------ following the session
    def _on_pass_changed(self):
        self._run_when_ready()
        self._measure()
        self._advance()         # (a pass lands last when a step's run ends: the next may start)

    def _on_history_changed(self):
        self._measure()

    def _on_phase_changed(self, phase):
        self._run_when_ready()

    def _measure(self):
        if self.index < 0:
            return
        self.measurements = [measure(claim.check, self.session) for claim in self.step.claims]
        self.measured.emit()

    # ------------------------------------------------------------------ arriving at a step
    def first_step_for(self, index: int) -> int:
        """Where to start to arrive at step ``index`` as a student stepping through would: the last
        step up to it that starts afresh (new weights, no comparison with an earlier run), or the
        lesson's start when a step on the way compares with the run before it."""
        steps = self.lesson.steps
        start = max((i for i in range(index + 1) if steps[i].new_weights and not steps[i].keep_previous_as),
                    default=0)
        if any(step.keep_previous_as for step in steps[start + 1:index + 1]):
            start = 0       # (each comparison needs the run before it)
        return start

    def advance_to(self, index: int):
        """Arrive at step ``index`` without waiting here (the window): from :meth:`first_step_for`,
        each step is entered when the one before has run, its question answered rightly, so a step
        that tests the weights trained before it, or compares with an earlier run, has them."""
        self._target = min(max(int(index), 0), self.count - 1)
        self.go_to(self.first_step_for(self._target))
        self._advance()

    def _advance(self):
        if self._target is None or self._advancing or self._entering:
            return
        self._advancing = True
        try:
            while True:
                if self.waiting_for_answer:
                    self.reveal(self.step.answer)
                if self.running or self.index >= self._target:
                    break
                self.go_to(self.index + 1)
        finally:
            self._advancing = False
        if self.index >= self._target and not self.running:
            self._target = None

    # ------------------------------------------------------------------ headless
    def run_through(self, index: int, timeout: float = 300.0, wait=None) -> bool:
        """Arrive at step ``index`` as :meth:`advance_to` does, waiting here for each step's run:
        for scripts and screenshots (``wait``: see :meth:`run_to_end_of_step`)."""
        for i in range(self.first_step_for(index), index + 1):
            self.go_to(i)
            if not self.run_to_end_of_step(timeout, wait):
                return False
        return True

    def run_to_end_of_step(self, timeout: float = 120.0, wait=None) -> bool:
        """Wait until the step's run is done; for scripts and tests. ``wait()`` waits a little for
        what the session is waiting for (by default: polls the training process; a window also
        has to deliver its worker thread's passes). Returns False if the run did not finish
        within ``timeout`` seconds."""
        if self.waiting_for_answer:
            self.reveal(self.step.answer)
        wait = wait or (lambda: self.session.poll(timeout=0.2))
        deadline = time.monotonic() + timeout
        while self.running and time.monotonic() < deadline:
            wait()
        return not self.running
