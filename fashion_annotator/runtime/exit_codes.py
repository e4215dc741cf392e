"""Exit codes shared by every subcommand, and the one format of their error messages.

``0`` done, ``1`` error, ``2`` usage error (argparse), ``3`` partly done (some files refused,
each listed), ``130`` interrupted (Ctrl+C), ``141`` the reader of the output went away,
``143`` stopped by SIGTERM (``train``: a scheduler or the window cancelled it). Errors go to
stderr as ``PROG: error: MESSAGE``, the format argparse uses for usage errors; stdout carries
results only.
"""

from __future__ import annotations

import logging
import sys

from fashion_annotator.runtime.logs import redact

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_PARTIAL = 3
EXIT_INTERRUPTED = 130
#: The reader of stdout went away (``| head``): 128 + SIGPIPE, as a Unix tool the signal ended.
EXIT_BROKEN_PIPE = 141
#: 128 + SIGTERM: a run that stopped cleanly on SIGTERM (nothing exported or registered).
EXIT_TERMINATED = 143

PROG = "fashion-annotator"

log = logging.getLogger("fashion_annotator")


class CommandError(Exception):
    """A command cannot do what was asked; the message names the file and the problem.

    The command-line entry point prints it as ``PROG: error: MESSAGE`` and exits with
    :data:`EXIT_ERROR`.
    """


def report_error(message: object, command: str | None = None) -> int:
    """Print ``PROG[ COMMAND]: error: MESSAGE`` on stderr, log it, and return :data:`EXIT_ERROR`.

    Parameters
    ----------
    message : object
        What went wrong (an exception prints as its message; a PostgreSQL URL's password as
        ``***``).
    command : str, optional
        The subcommand, as argparse names it in its own messages (``fashion-annotator new``).

    Returns
    -------
    int
        :data:`EXIT_ERROR`.
    """
    prog = f"{PROG} {command}" if command else PROG
    log.error("%s: %s", prog, message)
    print(f"{prog}: error: {redact(str(message))}", file=sys.stderr)  # a typed URL's password as ***
    return EXIT_ERROR
