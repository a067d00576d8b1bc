"""The one exception type the engine raises for bad input."""


class RnnInputError(ValueError):
    """Raised for malformed user input: a clear, one-line message naming the problem.

    The command line turns it into exit status 2; the window shows its text where the user is
    looking. Never raised for a programming error.
    """
