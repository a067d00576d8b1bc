"""A session as saved in a ``.bptt`` file, and back: what :meth:`explorer.session.Session.save`
writes (:func:`session_document`) and what :meth:`~explorer.session.Session.open` checks before the
session adopts it (:func:`read_saved_session`). The file format itself is :mod:`explorer.session_file`.
No Qt here.
"""

import copy
from dataclasses import dataclass

import numpy as np

from rnn.errors import RnnInputError
from rnn.optim import make_optimizer, optimizer_from_state_dict
from rnn.params import check_params
from rnn.tasks import BUILT_IN_TASKS
from rnn.user_data import add_data_task, data_document, data_from_document

from .comparison import ComparedSide, compared_config, side_label
from .config import ExplorerConfig
from .history import TrainingHistory
from .session_file import ComparedDocument, SessionDocument, read_session


@dataclass(frozen=True)
class SavedSession:
    """A saved session read and checked (:func:`read_saved_session`), ready to be adopted."""
    path: str
    document: SessionDocument
    config: ExplorerConfig
    params: dict
    optimizer: object
    history: TrainingHistory
    compared: ComparedSide | None = None     # side B of an A/B comparison, if it was saved with one


def session_document(session, layout: bytes = b"", lesson: dict | None = None) -> SessionDocument:
    """What saving ``session`` writes, as it stands now: a copy (any thread may then write it)."""
    selection, result = session.selection, session.result
    position = dict(forward_done=int(result.forward_done), visits_done=int(result.visits_done),
                    step=selection.step, layer=selection.layer, unit=selection.unit,
                    batch_index=selection.batch_index)
    extra, data = {}, {}
    if session.config.task not in BUILT_IN_TASKS:         # the user's own data travels in the file
        extra["data"], data = data_document(session.config.task_object)
    b, compared = session.compared, None
    if b is not None and b.params is not None:
        compared = ComparedDocument(dict(b.changes), b.label, _copies(b.params), b.optimizer.state_dict(),
                                    b.history.to_arrays())
    return SessionDocument(config=session.config.to_dict(), params=_copies(session.params),
                           optimizer=session.optimizer.state_dict(), history=session.history.to_arrays(),
                           position=position, lesson=dict(lesson or {}), layout=bytes(layout), extra=extra,
                           data=data, compared=compared)


def read_saved_session(path) -> SavedSession:
    """Read and check a saved session, changing nothing (any thread may do this; the window does it
    off its own). Raises RnnInputError with a one-line reason."""
    try:
        document = read_session(path)
        saved = dict(document.config)
        if isinstance(document.extra.get("data"), dict):     # the user's own data, added anew
            saved["task"] = add_data_task(data_from_document(document.extra["data"], document.data))
        config = ExplorerConfig.from_dict(saved)
        params, optimizer, history = _network(document, config)
        compared = None if document.compared is None else _saved_side(document.compared, config)
    except OSError as error:
        raise RnnInputError(f"could not read {path}: {error.strerror or error}") from None
    except RnnInputError as error:
        raise RnnInputError(f"{path} cannot be used: {error}") from None
    return SavedSession(str(path), document, config, params, optimizer, history, compared)


def _network(part, config: ExplorerConfig):
    """(weights, optimizer, history) of one saved network (A's document, or B's part), checked
    against ``config``'s network; a missing optimizer state or history starts afresh."""
    params = {name: np.array(value, dtype=np.float64) for name, value in part.params.items()}
    check_params(params, config.spec())
    optimizer = optimizer_from_state_dict(part.optimizer) if part.optimizer else \
        make_optimizer(config.optimizer, config.lr)
    history = TrainingHistory.from_arrays(part.history) if part.history else TrainingHistory()
    return params, optimizer, history


def _saved_side(part: ComparedDocument, config: ExplorerConfig) -> ComparedSide:
    """Side B as saved beside ``config`` (side A's); RnnInputError if it cannot be side B of it."""
    b_config = compared_config(config, part.changes)
    params, optimizer, history = _network(part, b_config)
    return ComparedSide(dict(part.changes), part.label or side_label(b_config, part.changes), b_config, params,
                        optimizer, history, start=(_copies(params), copy.deepcopy(optimizer)))


def _copies(params: dict) -> dict:
    return {name: value.copy() for name, value in params.items()}
