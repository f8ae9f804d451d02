"""The one progress reporter of long analyses: :class:`Progress`."""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Iterator
from typing import TextIO

__all__ = ["Progress"]


class Progress:
    """The one progress reporter: a line per step (and its time), detail lines on demand.

    Parameters
    ----------
    progress : bool or file-like, default=True
        Where progress goes: ``True`` standard error (looked up on use, so
        redirection is honoured), ``False`` nowhere, or a file-like object.
    verbose : bool, default=True
        Also pass the stream to the steps for their own detail lines (every EM fit,
        bootstrap block and sampler progress).

    Examples
    --------
    >>> import io
    >>> out = io.StringIO()
    >>> with Progress(out).step("EM grid"):
    ...     pass
    >>> out.getvalue().splitlines()[0]
    '==> EM grid'
    >>> Progress(False).stream is None
    True
    """

    def __init__(self, progress: bool | TextIO = True, *, verbose: bool = True) -> None:
        self.progress = progress
        self.verbose = verbose and progress is not False

    @property
    def stream(self) -> TextIO | None:
        """The stream of step lines (``None`` when silenced)."""
        if self.progress is False or self.progress is None:
            return None
        return sys.stderr if self.progress is True else self.progress

    @property
    def detail(self) -> TextIO | None:
        """The stream handed to each step for its own lines (only when verbose)."""
        return self.stream if self.verbose else None

    def say(self, message: str) -> None:
        """Print one line of progress."""
        if self.stream is not None:
            print(message, file=self.stream, flush=True)

    @contextlib.contextmanager
    def step(self, message: str) -> Iterator[None]:
        """Announce a step, run it, report its time."""
        self.say(f"==> {message}")
        start = time.perf_counter()
        yield
        self.say(f"    done in {time.perf_counter() - start:.1f} s")
