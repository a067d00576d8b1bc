"""BPTT Explorer: the desktop window (PySide6 + pyqtgraph) over the NumPy engine in :mod:`rnn`.

- :mod:`explorer.config`   the validated configuration (every control's value)
- :mod:`explorer.state`    the application state, the one source of truth
- :mod:`explorer.worker`   generator jobs off the GUI thread, cancellable, generation-stamped
- :mod:`explorer.controls` the side panel of controls
- :mod:`explorer.presets`  one-click lessons
- :mod:`explorer.window`   the main window
- :mod:`explorer.views`    the plots (each ``XView(state, parent=None)``)
"""
