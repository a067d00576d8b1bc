"""The "bag" toggle without Qt: a shuffled batch is drawn for the network that is there (the weights
stay), training with it on trains on shuffled batches, and saved sessions and older files keep it."""

import json
import zipfile

import numpy as np
import pytest

from explorer.config import ExplorerConfig
from explorer.jobs import training_seed
from explorer.session import Phase, Session
from rnn.errors import RnnInputError
from rnn.optim import make_optimizer
from rnn.tasks import TASKS, shuffled_task
from rnn.training import train


@pytest.fixture
def session():
    s = Session()
    yield s
    s.shutdown()


def copied(params):
    return {name: value.copy() for name, value in params.items()}


def same_params(a, b):
    return a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)


def input_multisets(inputs):
    """Each sequence's input steps as a sorted list of rows: what a shuffle must keep."""
    return [sorted(map(tuple, inputs[:, b].tolist())) for b in range(inputs.shape[1])]


def test_the_field_is_a_checked_boolean_and_an_older_configuration_has_it_off():
    assert ExplorerConfig().shuffled is False
    assert ExplorerConfig.from_dict({"task": "sine"}).shuffled is False          # a file from before it
    assert ExplorerConfig.from_dict({"shuffled": "true"}).shuffled is True
    with pytest.raises(RnnInputError, match="shuffled must be true or false"):
        ExplorerConfig(shuffled="yes")
    config = ExplorerConfig(task="alphabet_forward", seq_len=26, shuffled=True)
    assert not config.needs_new_weights(config.with_(shuffled=False))            # a bag keeps the network


def test_toggling_keeps_the_weights_and_shows_the_same_sequences_shuffled(session):
    assert session.set_config(task="alphabet_forward", seq_len=26, hidden=12, batch=4, optimizer="adam", lr=0.01)
    session.start_training(30)
    while session.phase is Phase.TRAINING:
        session.poll(timeout=0.2)
    trained, ordered, ordered_loss = copied(session.params), session.batch, session.result.loss
    history = session.history.loss.copy()

    assert session.set_config(shuffled=True)
    assert session.config.shuffled and same_params(session.params, trained)
    assert np.array_equal(session.history.loss, history)                        # the training is kept
    bag = session.batch
    assert np.array_equal(bag.targets, ordered.targets) and np.array_equal(bag.loss_mask, ordered.loss_mask)
    assert input_multisets(bag.inputs) == input_multisets(ordered.inputs)
    assert not np.array_equal(bag.inputs, ordered.inputs)
    assert np.array_equal(session.result.data.inputs, bag.inputs[:, session.selection.batch_index])   # the Data view's
    assert session.result.loss > ordered_loss                                   # the order was what it had learnt

    assert session.set_config(shuffled=False)                                   # and back: the ordered batch
    assert np.array_equal(session.batch.inputs, ordered.inputs) and session.result.loss == ordered_loss
    assert session.undo() and session.config.shuffled                           # undoable, as any setting


def test_training_with_it_on_trains_on_shuffled_batches(session):
    """What the training process learns from is the engine's run on the shuffled task, not the ordered one."""
    assert session.set_config(task="sine", seq_len=12, hidden=5, batch=3, optimizer="adam", lr=0.01, shuffled=True)
    start = copied(session.params)
    session.start_training(8)
    while session.phase is Phase.TRAINING:
        session.poll(timeout=0.2)
    assert len(session.history) == 8

    def run(task):
        params = copied(start)
        updates = train(session.spec, params, task, make_optimizer("adam", 0.01), steps=8, seq_len=12,
                        batch_size=3, seed=training_seed(session.config, 0))
        return [u.loss for u in updates], params

    shuffled_losses, shuffled_params = run(shuffled_task(TASKS["sine"]))
    ordered_losses, _ = run(TASKS["sine"])
    assert np.array_equal(session.history.loss, shuffled_losses) and same_params(session.params, shuffled_params)
    assert not np.allclose(shuffled_losses, ordered_losses)


def test_a_saved_session_keeps_it_and_a_file_from_before_it_opens_in_order(session, tmp_path):
    assert session.set_config(task="random_walk", seq_len=15, hidden=6, batch=3, shuffled=True)
    path = tmp_path / "bag.bptt"
    session.save(path)
    saved_batch, saved_params = session.batch, copied(session.params)
    other = Session()
    try:
        other.open(path)
        assert other.config.shuffled and other.config == session.config
        assert np.array_equal(other.batch.inputs, saved_batch.inputs) and same_params(other.params, saved_params)

        with zipfile.ZipFile(path) as archive:                   # the same file without the field
            members = {name: archive.read(name) for name in archive.namelist()}
        document = json.loads(members["session.json"])
        del document["config"]["shuffled"]
        members["session.json"] = json.dumps(document).encode()
        older = tmp_path / "older.bptt"
        with zipfile.ZipFile(older, "w") as archive:
            for name, data in members.items():
                archive.writestr(name, data)
        other.open(older)
        assert not other.config.shuffled
        assert np.allclose(other.batch.targets[:-1], other.batch.inputs[1:])   # a walk in order again
    finally:
        other.shutdown()
