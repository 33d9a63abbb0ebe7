"""Chunks for executor tests that kill their worker (a light module: spawned workers import it).

A worker process unpickles the chunk function by importing its module; this
one imports nothing heavy, so each fresh pool starts in a fraction of a second.
"""

from __future__ import annotations

import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Job:
    """A chunk for the executor alone."""

    index: int


def kills_its_worker(bad: int, log: str, job: Job) -> int:
    """Record the attempt in ``log``; die like an out-of-memory kill on chunk ``bad``."""
    Path(log, f"{job.index}-{os.getpid()}-{time.monotonic_ns()}").touch()
    if job.index == bad:
        os.kill(os.getpid(), signal.SIGKILL)
    time.sleep(0.3)  # still running when the pool breaks (so the old code failed it too)
    return 10 * job.index
