"""BPTT Explorer: the desktop window (PySide6 + pyqtgraph) over the NumPy engine in :mod:`rnn`.

- :mod:`explorer.config`   the validated configuration (every control's value)
- :mod:`explorer.session`  the session, the one source of truth (no Qt): configuration, weights,
                           history, the pass, the phase, undo, time travel
- :mod:`explorer.jobs`     the engine work it runs (a recorded pass as a cancellable generator)
- :mod:`explorer.cost`     how long a pass will take, estimated before it runs
- :mod:`explorer.trainer`  the training loop and the child process it runs in
- :mod:`explorer.history`, :mod:`explorer.checkpoints`, :mod:`explorer.undo`  training history, weight checkpoints, undo
- :mod:`explorer.session_file`  saved sessions (one file, no pickle)
- :mod:`explorer.qt_session`  the session's Qt adapter (worker thread, training pipe, signals)
- :mod:`explorer.worker`   generator jobs off the GUI thread, cancellable, generation-stamped
- :mod:`explorer.controls` the side panel of controls
- :mod:`explorer.lessons`  lesson files (TOML); :mod:`explorer.quantities` what a lesson can measure;
  :mod:`explorer.measures` the claim language;
  :mod:`explorer.lesson_runner` a lesson run on a session; :mod:`explorer.lesson_panel` the lesson box
- :mod:`explorer.window`   the main window
- :mod:`explorer.views`    the plots (each ``XView(state, parent=None)``)
"""
