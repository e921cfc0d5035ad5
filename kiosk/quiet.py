"""Silence native libraries that write straight to file descriptor 2."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

__all__ = ["quiet_stderr"]


@contextlib.contextmanager
def quiet_stderr() -> Iterator[None]:
    """Point fd 2 at /dev/null for the block (ALSA/JACK probing, mediapipe's glog lines).

    Python's own ``sys.stderr`` is untouched, but anything another thread writes to
    fd 2 meanwhile is lost: keep the block short.
    """
    try:
        saved = os.dup(2)
    except OSError:  # no fd 2 at all
        yield
        return
    try:
        with open(os.devnull, "wb") as devnull:
            os.dup2(devnull.fileno(), 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
