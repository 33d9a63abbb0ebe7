"""Where chunks run: in this process, in local processes, or on a Dask cluster.

Every executor takes a function and chunks and yields ``(chunk, result)``
pairs as chunks finish, in any order; ``result`` is the function's value or
the exception that stopped it. Writing is left to the caller (the process
that owns the output folder), so a worker that dies can never leave a half
file, and a cluster needs no shared write access.

Worker deaths are retried: a broken local process pool is restarted for the
chunks it had not finished (:data:`POOL_RESTARTS` times), and Dask reschedules
a dead worker's tasks itself (its ``allowed-failures`` setting) besides the
``retries`` given here for exceptions.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Protocol

from sim.sweep.errors import SweepError
from sim.sweep.task import Chunk

__all__ = [
    "DaskExecutor",
    "Executor",
    "InProcessExecutor",
    "LocalProcessExecutor",
    "make_executor",
]

POOL_RESTARTS = 2
"""Times a local process pool is rebuilt after a worker process dies."""
DASK_RETRIES = 1
"""Times Dask reruns a chunk that raised (worker deaths are rescheduled anyway)."""
CONNECT_TIMEOUT = "20s"
"""How long to try reaching a remote Dask scheduler."""

ChunkFunction = Callable[[Chunk], Any]


class Executor(Protocol):
    """Runs chunks and yields each with its result or exception, as they finish."""

    description: str

    def run(self, function: ChunkFunction,
            chunks: Sequence[Chunk]) -> Iterator[tuple[Chunk, Any]]:
        """Yield ``(chunk, function(chunk) or the exception it raised)``."""
        ...

    def close(self) -> None:
        """Release workers."""
        ...


class InProcessExecutor:
    """Run chunks one after another in this process (``--workers 1``)."""

    description = "this process"

    def run(self, function: ChunkFunction,
            chunks: Sequence[Chunk]) -> Iterator[tuple[Chunk, Any]]:
        """Yield each chunk's result in order."""
        for chunk in chunks:
            try:
                result = function(chunk)
            except Exception as exc:  # recorded as a failed chunk, reported at the end
                result = exc
            yield chunk, result

    def close(self) -> None:
        """Nothing to release."""


class LocalProcessExecutor:
    """Run chunks on ``workers`` local processes (started fresh, ``spawn``).

    A worker process that dies (killed, out of memory) breaks the pool; the
    chunks it had not finished are run again on a new pool, at most
    :data:`POOL_RESTARTS` times, then reported as failed.
    """

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self.description = f"{workers} local processes"

    def run(self, function: ChunkFunction,
            chunks: Sequence[Chunk]) -> Iterator[tuple[Chunk, Any]]:
        """Yield results as chunks finish, restarting a broken pool."""
        pending = list(chunks)
        for attempt in range(POOL_RESTARTS + 1):
            broken: list[Chunk] = []
            context = multiprocessing.get_context("spawn")
            with ProcessPoolExecutor(self.workers, mp_context=context) as pool:
                futures: dict[Future[Any], Chunk] = {pool.submit(function, c): c
                                                     for c in pending}
                for future in as_completed(futures):
                    chunk = futures[future]
                    try:
                        yield chunk, future.result()
                    except BrokenProcessPool as exc:
                        if attempt == POOL_RESTARTS:
                            yield chunk, exc
                        else:
                            broken.append(chunk)
                    except Exception as exc:
                        yield chunk, exc
            if not broken:
                return
            pending = sorted(broken, key=lambda c: c.index)

    def close(self) -> None:
        """Pools are closed after each run."""


class DaskExecutor:
    """Run chunks on a Dask distributed cluster.

    Parameters
    ----------
    address : str
        A scheduler address (``tcp://host:8786``), or ``"local"`` for a
        ``LocalCluster`` of ``workers`` single-threaded processes.
    workers : int or None
        Workers of a local cluster; must be ``None`` for a remote scheduler.
    client : distributed.Client, optional
        An existing client (e.g. of a ``dask_jobqueue.SLURMCluster``); then
        ``address`` is only a label.
    """

    def __init__(self, address: str, workers: int | None = None, client: Any = None) -> None:
        try:
            import distributed
        except ImportError:
            raise SweepError("--scheduler", "", "running on Dask needs dask.distributed; "
                             "install it with pip install 'tiered-compute-sim[cluster]'") from None
        self._cluster = None
        if client is not None:
            self.client = client
            self._owns_client = False
        elif address == "local":
            self._cluster = distributed.LocalCluster(
                n_workers=workers or os.cpu_count() or 1, threads_per_worker=1, processes=True,
                dashboard_address=None)
            self.client = distributed.Client(self._cluster)
            self._owns_client = True
        else:
            if workers is not None:
                raise SweepError("--workers", "", "a remote Dask scheduler decides its own "
                                 "workers; expected --workers only with --scheduler local")
            try:
                self.client = distributed.Client(address, timeout=CONNECT_TIMEOUT)
            except (OSError, TimeoutError, ValueError) as exc:
                raise SweepError("--scheduler", address, "expected a reachable Dask scheduler "
                                 f"address such as tcp://host:8786 ({exc})") from None
            self._owns_client = True
        n = len(self.client.scheduler_info().get("workers", {}))
        self.description = f"Dask at {self.client.scheduler.address} ({n} workers now)"

    def run(self, function: ChunkFunction,
            chunks: Sequence[Chunk]) -> Iterator[tuple[Chunk, Any]]:
        """Submit every chunk; yield results as they complete."""
        from distributed import as_completed as dask_completed

        futures = {self.client.submit(function, chunk, pure=False, retries=DASK_RETRIES,
                                      key=f"sweep-chunk-{chunk.index}-{os.urandom(4).hex()}"):
                   chunk for chunk in chunks}
        for future in dask_completed(list(futures)):
            chunk = futures[future]
            try:
                yield chunk, future.result()
            except Exception as exc:  # includes KilledWorker after repeated deaths
                yield chunk, exc
            finally:
                future.release()

    def close(self) -> None:
        """Close the client and the local cluster this executor started."""
        if self._owns_client:
            self.client.close()
        if self._cluster is not None:
            self._cluster.close()


def make_executor(workers: int | None, scheduler: str | None) -> Executor:
    """Choose the executor the command line asks for.

    ``--scheduler`` selects Dask; otherwise ``--workers 1`` runs in this
    process and any other count (default: one per core) in local processes.
    """
    if scheduler is not None:
        return DaskExecutor(scheduler, workers)
    count = workers if workers is not None else (os.cpu_count() or 1)
    return InProcessExecutor() if count == 1 else LocalProcessExecutor(count)
