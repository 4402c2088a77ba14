"""Errors a user can act on.

Every exception that reaches a user (CLI: stderr + exit 2; web: a 4xx page) is a
SonatinaError whose message is one plain sentence. Library code raises these for
bad input; anything else is a bug and is allowed to show a traceback in logs.
"""


class SonatinaError(ValueError):
    """A problem with what the user asked for or gave us, explained in one sentence."""


class BadInputError(SonatinaError):
    """A file the user gave cannot be used (corrupt, empty, too large, wrong type)."""


class UnknownOptionError(SonatinaError):
    """An option value is not one we know (a genre, a model, an instrument, a key)."""


class EmptyDatasetError(SonatinaError):
    """A training or evaluation source held no usable music."""
