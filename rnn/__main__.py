"""``python -m rnn``: see :mod:`rnn.cli`."""

from .cli import main

raise SystemExit(main())
