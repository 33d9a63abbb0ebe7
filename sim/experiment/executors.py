"""Where chunks run: in this process, in local processes, or on a Dask cluster.

One interface for sweeps and calibration. A *chunk* is any picklable object
with an integer ``index``, unique within one call: a sweep's
:class:`~sim.sweep.task.Chunk` of design points, a calibration's
:class:`~sim.calibration.simulate.DrawChunk` of parameter draws. An executor
takes a picklable function of one chunk and the chunks, and yields
``(chunk, result)`` pairs as chunks finish, in any order; callers put
results back by ``index`` (:func:`run_in_order` does), so nothing depends on
where or in which order chunks ran. Writing is left to the caller (the
process that owns the output folder), so a worker that dies can never leave
a half file, and a cluster needs no shared write access.

``result`` is the function's value or a :class:`ChunkFailure`, a record that
pickles (tracebacks and some exceptions do not): the chunk raised a
:class:`~sim.errors.UserError` (a mistake in the input), raised anything else
(a programming error, with the traceback formatted where it happened), or its
worker died. Worker deaths are retried first: a broken local process pool is
restarted, and each chunk its dead worker may have held is retried alone
(:data:`CHUNK_RETRIES` times, so one chunk that kills its worker fails
alone), and Dask reschedules a dead worker's tasks itself (its ``allowed-failures``
setting).
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
import traceback
from collections.abc import Callable, Generator, Iterator, Sequence
from concurrent.futures import CancelledError, Future, ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from contextlib import closing
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from sim.errors import UserError, shown
from sim.experiment.dask_security import require_distributed
from sim.experiment.errors import ExecutorError

__all__ = [
    "BUG",
    "LOST",
    "USER",
    "AdaptiveExecutor",
    "ChunkError",
    "ChunkFailure",
    "DaskExecutor",
    "Executor",
    "ExecutorError",
    "InProcessExecutor",
    "Indexed",
    "LocalProcessExecutor",
    "call_guarded",
    "make_executor",
    "run_in_order",
]

CHUNK_RETRIES = 2
"""Times a chunk is run again after a local worker died while it may have
been running it; then it alone is reported as :data:`LOST`."""
PARENT_POLL_SECONDS = 0.5
"""How often a local worker checks that its parent process is alive."""
EXIT_ORPHANED = 3
"""Exit status of a local worker whose parent died."""
DASK_RETRIES = 1
"""Times Dask reruns a task that raised outside the chunk function (worker
deaths are rescheduled anyway; a chunk's own exceptions come back as failures)."""
POOL_START_SECONDS = 1.5
"""What local worker processes cost before they serve a chunk: spawning them and importing
the core there (measured on 2 cores, 4 Dec 2026: the quick sweep, 36 runs, took 5.7 s on two
processes and 4.5 s in one). :class:`AdaptiveExecutor` starts them only where that pays."""
CONNECT_TIMEOUT = "20s"
"""How long to try reaching a remote Dask scheduler."""
LOOPBACK_ANY_PORT = "127.0.0.1:0"
"""Where a local cluster's HTTP listeners go (they serve no page; see :func:`_local_cluster`)."""

USER = "user"
"""Failure kind: the chunk raised a :class:`~sim.errors.UserError`."""
BUG = "bug"
"""Failure kind: the chunk raised any other exception (a programming error)."""
LOST = "lost"
"""Failure kind: the chunk's worker died, after the retries (a rerun can succeed)."""


class Indexed(Protocol):
    """A chunk: any picklable object with an integer ``index``."""

    @property
    def index(self) -> int:
        """The chunk's number, unique among the chunks of one call."""
        ...


ChunkT = TypeVar("ChunkT", bound=Indexed)
ResultT = TypeVar("ResultT")


class ChunkError(RuntimeError):
    """A chunk raised a programming error; its traceback is the ``__cause__``."""


class _RemoteTraceback(Exception):
    """The traceback of an exception in a worker, as text (shown as a cause)."""

    def __str__(self) -> str:
        return f'\n"""\n{self.args[0]}"""'


@dataclass(frozen=True)
class ChunkFailure:
    """Why a chunk did not finish; picklable, so a worker can return it.

    Attributes
    ----------
    kind : str
        :data:`USER`, :data:`BUG` or :data:`LOST`.
    message : str
        One line: the user error's message, or ``"TypeName: message"``.
    traceback : str
        The full traceback, formatted where the exception was raised; empty
        for a dead worker.
    user_error : tuple, optional
        For :data:`USER`: the error's class, file, key and problem, to raise
        it again in the caller's process.
    """

    kind: str
    message: str
    traceback: str = ""
    user_error: tuple[type[UserError], str, str, str] | None = None

    @classmethod
    def from_exception(cls, exc: BaseException) -> ChunkFailure:
        """Record an exception a chunk raised: a user mistake, or a programming error."""
        text = "".join(traceback.format_exception(exc))
        if isinstance(exc, UserError):
            return cls(USER, str(exc), text, (type(exc), exc.file, exc.key, exc.problem))
        return cls(BUG, _first_line(exc), text)

    @classmethod
    def lost(cls, exc: BaseException, deaths: int | None = None) -> ChunkFailure:
        """Record a chunk whose worker died (``BrokenProcessPool``, ``KilledWorker``).

        ``deaths``: how many times a worker died while it held the chunk, if known.
        """
        if not deaths:
            return cls(LOST, _first_line(exc))
        return cls(LOST, f"{_first_line(exc).rstrip('.')}; its worker died {deaths} times")

    def exception(self, where: str) -> Exception:
        """Return the error to raise for this failure in the caller's process.

        A user mistake is raised again as itself; a dead worker as an
        :class:`ExecutorError`; a programming error as a :class:`ChunkError`
        whose cause shows the worker's traceback. ``where`` names the chunk.
        """
        if self.kind == USER:
            if self.user_error is None:
                return UserError(where, "", self.message)
            error_type, file, key, problem = self.user_error
            return error_type(file, key, problem)
        if self.kind == LOST:
            return ExecutorError(where, "", f"expected its worker to finish, found it dead "
                                 f"({self.message}); rerun to retry (a rerun can succeed)")
        error = ChunkError(f"{where} raised {self.message}")
        error.__cause__ = _RemoteTraceback(self.traceback)
        return error


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return shown(f"{type(exc).__name__}: {lines[0]}" if lines else type(exc).__name__)


def call_guarded(function: Callable[[ChunkT], ResultT], chunk: ChunkT,
                 ) -> ResultT | ChunkFailure:
    """Return ``function(chunk)``, or the :class:`ChunkFailure` of what it raised.

    Runs in the worker, so the traceback is formatted where it happened; an
    executor of another kind should run chunks through it too.
    """
    try:
        return function(chunk)
    except Exception as exc:  # recorded, with its traceback; the caller decides
        return ChunkFailure.from_exception(exc)


class Executor(Protocol):
    """Runs chunks and yields each with its result or failure, as they finish."""

    description: str

    def run(self, function: Callable[[ChunkT], ResultT], chunks: Sequence[ChunkT],
            ) -> Iterator[tuple[ChunkT, ResultT | ChunkFailure]]:
        """Yield ``(chunk, function(chunk) or its ChunkFailure)`` for every chunk.

        Closing the iterator early drops the chunks not yet started.
        """
        ...

    def close(self) -> None:
        """Release workers."""
        ...


def run_in_order(executor: Executor, function: Callable[[ChunkT], ResultT],
                 chunks: Sequence[ChunkT]) -> list[ResultT]:
    """Return ``[function(chunk) for chunk in chunks]``, computed by ``executor``.

    Raises
    ------
    UserError
        The first user mistake a chunk raised (as itself), or an
        :class:`ExecutorError` if a chunk's worker died; remaining chunks
        are dropped.
    ChunkError
        If a chunk raised a programming error (its traceback is the cause).
    """
    done: dict[int, ResultT] = {}
    with closing(executor.run(function, chunks)) as finished:
        for chunk, result in finished:
            if isinstance(result, ChunkFailure):
                raise result.exception(f"{executor.description}: chunk {chunk.index}")
            done[chunk.index] = result
    return [done[chunk.index] for chunk in chunks]


class InProcessExecutor:
    """Run chunks one after another in this process (``--workers 1``)."""

    description = "this process"

    def run(self, function: Callable[[ChunkT], ResultT], chunks: Sequence[ChunkT],
            ) -> Iterator[tuple[ChunkT, ResultT | ChunkFailure]]:
        """Yield each chunk's result in order."""
        for chunk in chunks:
            yield chunk, call_guarded(function, chunk)

    def close(self) -> None:
        """Nothing to release."""


class LocalProcessExecutor:
    """Run chunks on ``workers`` local processes (started fresh, ``spawn``).

    The processes start at the first :meth:`run` and serve every later one
    until :meth:`close` (a calibration runs many rounds on them). Each worker
    watches its parent (:func:`_watch_parent`) and exits when the parent has
    died, so a ``sim sweep`` killed with SIGKILL leaves no worker (nor the
    resource tracker, which exits when its last user has gone).

    A worker process that dies (killed, out of memory) breaks the pool. The
    chunks that may have been running then (the first ``workers`` unfinished
    ones in submission order: workers take chunks in that order) are
    suspects: each is run again alone on a new pool, so a chunk that kills
    its worker again is known exactly; after :data:`CHUNK_RETRIES` retries it
    is reported as :data:`LOST`, alone, and every other chunk still runs.
    Processes are spawned, not forked, so a script that uses them needs the
    ``if __name__ == "__main__":`` guard.
    """

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self.description = f"{workers} local processes"
        self._pool: ProcessPoolExecutor | None = None

    def run(self, function: Callable[[ChunkT], ResultT], chunks: Sequence[ChunkT],
            ) -> Iterator[tuple[ChunkT, ResultT | ChunkFailure]]:
        """Yield results as chunks finish, retrying the chunks a dead worker may have held."""
        pending, deaths, finished = list(chunks), dict.fromkeys((c.index for c in chunks), 0), False
        try:
            while pending:
                suspects = [c for c in pending if deaths[c.index]]
                batch = suspects[:1] or pending  # a suspect runs alone: a death is then its own
                unfinished, error = yield from self._round(function, batch)
                done = {c.index for c in batch} - {c.index for c in unfinished}
                pending = [c for c in pending if c.index not in done]
                if error is None:
                    continue
                for chunk in unfinished[:self.workers]:  # those that may have been running
                    deaths[chunk.index] += 1
                    if deaths[chunk.index] > CHUNK_RETRIES:
                        pending.remove(chunk)
                        yield chunk, ChunkFailure.lost(error, deaths[chunk.index])
            finished = True
        finally:
            if not finished:  # the caller stopped early: chunks not started are dropped
                self.close()

    def _round(self, function: Callable[[ChunkT], ResultT], batch: Sequence[ChunkT],
               ) -> Generator[tuple[ChunkT, ResultT | ChunkFailure], None,
                              tuple[list[ChunkT], BrokenProcessPool | None]]:
        """Run ``batch`` on the pool; yield what finished.

        Returns the chunks a broken pool did not finish, in submission order,
        and the pool's error (``None`` if nothing broke).
        """
        if self._pool is None:
            self._pool = ProcessPoolExecutor(
                self.workers, mp_context=multiprocessing.get_context("spawn"),
                initializer=_watch_parent, initargs=(os.getpid(),))
        futures: dict[Future[Any], ChunkT] = {
            self._pool.submit(call_guarded, function, chunk): chunk for chunk in batch}
        unfinished: list[ChunkT] = []
        error: BrokenProcessPool | None = None
        for future in as_completed(futures):
            chunk = futures[future]
            try:
                result = future.result()
            except BrokenProcessPool as exc:
                error = exc
                unfinished.append(chunk)
                continue
            except Exception as exc:  # the chunk or its result did not pickle
                result = ChunkFailure.from_exception(exc)
            yield chunk, result
        if error is not None:
            self.close()
        order = {c.index: n for n, c in enumerate(batch)}
        return sorted(unfinished, key=lambda c: order[c.index]), error

    def close(self) -> None:
        """Stop the worker processes (a later :meth:`run` starts new ones)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


class AdaptiveExecutor:
    """The default without ``--workers``: this process for a small job, local processes else.

    Until its processes run, the first chunk of each :meth:`run` runs in this
    process and is timed. The other chunks stay here if that is quicker:
    if running them one after another would take no longer than their share
    on ``workers`` processes plus :data:`POOL_START_SECONDS`. Otherwise they
    go to a :class:`LocalProcessExecutor`, which then serves every later
    call (a calibration's rounds) until :meth:`close`. Where a chunk runs
    changes none of its bits.
    """

    def __init__(self, workers: int, pool_start_seconds: float = POOL_START_SECONDS) -> None:
        self.workers = workers
        self.pool_start_seconds = pool_start_seconds
        self._processes = LocalProcessExecutor(workers)
        self._started = False
        self.description = f"this process, or {workers} local processes for a long job"

    def run(self, function: Callable[[ChunkT], ResultT], chunks: Sequence[ChunkT],
            ) -> Iterator[tuple[ChunkT, ResultT | ChunkFailure]]:
        """Yield each chunk's result as it finishes, here or on the processes."""
        rest = list(chunks)
        if not self._started and rest:
            first, rest = rest[0], rest[1:]
            started = time.perf_counter()
            yield first, call_guarded(function, first)
            here = (time.perf_counter() - started) * len(rest)
            if here <= here / self.workers + self.pool_start_seconds:
                for chunk in rest:
                    yield chunk, call_guarded(function, chunk)
                return
            self._started = True
            self.description = self._processes.description
        yield from self._processes.run(function, rest)

    def close(self) -> None:
        """Stop the worker processes, if any started."""
        self._processes.close()
        self._started = False


def _watch_parent(parent: int) -> None:
    """Start a thread that ends this worker process once ``parent`` has died.

    Runs in each local worker as the pool's initializer. An orphan is
    adopted by init (or a subreaper), so its parent pid changes; the thread
    checks every :data:`PARENT_POLL_SECONDS`. Portable (Linux, macOS), and
    unlike Linux's ``PR_SET_PDEATHSIG`` not tied to the thread that started
    the worker.
    """

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_POLL_SECONDS)
        os._exit(EXIT_ORPHANED)

    threading.Thread(target=watch, name="sim-watch-parent", daemon=True).start()


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

    security : distributed.Security, optional
        TLS settings for a ``tls://`` scheduler (from
        :func:`~sim.experiment.dask_security.load_security`); without it,
        Dask's own configuration applies (``distributed.comm.tls.*``).

    Raises
    ------
    ExecutorError
        If dask.distributed is missing, the scheduler cannot be reached (or
        its TLS handshake fails), ``workers`` is given with a remote
        scheduler, or ``security`` with a local cluster.
    """

    def __init__(self, address: str, workers: int | None = None, client: Any = None,
                 security: Any = None) -> None:
        distributed = require_distributed()
        self._cluster = None
        if client is not None:
            self.client = client
            self._owns_client = False
        elif address == "local":
            if security is not None:
                raise ExecutorError("--security", "", "applies to a remote scheduler; expected "
                                    "it with --scheduler tls://host:8786, not local")
            self._cluster = _local_cluster(distributed, workers or os.cpu_count() or 1)
            self.client = distributed.Client(self._cluster)
            self._owns_client = True
        else:
            if workers is not None:
                raise ExecutorError("--workers", "", "a remote Dask scheduler decides its own "
                                    "workers; expected --workers only with --scheduler local")
            self.client = _connect(distributed, address, security)
            self._owns_client = True
        n = len(self.client.scheduler_info().get("workers", {}))
        self.description = f"Dask at {self.client.scheduler.address} ({n} workers now)"

    def run(self, function: Callable[[ChunkT], ResultT], chunks: Sequence[ChunkT],
            ) -> Iterator[tuple[ChunkT, ResultT | ChunkFailure]]:
        """Submit every chunk; yield results as they complete."""
        # deferred with distributed itself (see __init__)
        from distributed import KilledWorker
        from distributed import as_completed as dask_completed

        futures = {self.client.submit(call_guarded, function, chunk, pure=False,
                                      retries=DASK_RETRIES,
                                      key=f"chunk-{chunk.index}-{os.urandom(4).hex()}"): chunk
                   for chunk in chunks}
        try:
            for future in dask_completed(list(futures)):
                chunk = futures.pop(future)
                try:
                    result = future.result()
                except (KilledWorker, CancelledError) as exc:  # died again and again
                    result = ChunkFailure.lost(exc)
                except Exception as exc:  # raised outside the chunk function: our bug
                    result = ChunkFailure.from_exception(exc)
                finally:
                    future.release()
                yield chunk, result
        finally:  # also when the caller stops early: chunks not finished are cancelled
            if futures:
                self.client.cancel(list(futures))

    def close(self) -> None:
        """Close the client and the local cluster this executor started."""
        if self._owns_client:
            self.client.close()
        if self._cluster is not None:
            self._cluster.close()


def _local_cluster(distributed: Any, workers: int) -> Any:
    """Start a ``LocalCluster`` of single-threaded processes with its web pages off.

    Dask's scheduler always listens for HTTP (``dashboard_address=None``
    still means 127.0.0.1:8787, and ``":0"`` a free port on every
    interface). So the dashboard is switched off, the HTTP listeners of the
    scheduler and the workers get no routes at all (every page answers 404:
    no dashboard, no metrics, no task information), and they listen on a free
    loopback port.
    """
    import dask  # deferred with distributed itself

    no_pages = {"distributed.scheduler.http.routes": [], "distributed.worker.http.routes": []}
    with dask.config.set(no_pages):  # the worker processes start with this configuration
        return distributed.LocalCluster(
            n_workers=workers, threads_per_worker=1, processes=True,
            dashboard_address=LOOPBACK_ANY_PORT, worker_dashboard_address=None,
            scheduler_kwargs={"dashboard": False})


def _connect(distributed: Any, address: str, security: Any) -> Any:
    """Return a client of the scheduler at ``address``, or one line saying why not."""
    try:
        return distributed.Client(address, timeout=CONNECT_TIMEOUT, security=security)
    except AssertionError:
        # distributed asserts on the handshake when a tcp:// client meets a TLS scheduler:
        # the user's address, not our bug (nothing of ours runs inside Client())
        raise ExecutorError("--scheduler", address, "expected a Dask scheduler that "
                            "answers at this address, found one that broke off the handshake "
                            "(a TLS scheduler needs a tls:// address and --security FILE)"
                            ) from None
    except (OSError, TimeoutError, ValueError, TypeError) as exc:
        tls = (" (a tls:// scheduler needs --security FILE or Dask's distributed.comm.tls "
               "configuration)" if address.startswith("tls://") else
               " (a scheduler that uses TLS needs a tls:// address and --security FILE)")
        raise ExecutorError("--scheduler", address, "expected a reachable Dask scheduler "
                            f"address such as tcp://host:8786{tls} ({shown(str(exc))})"
                            ) from None


def make_executor(workers: int | None, scheduler: str | None,
                  security: Any = None) -> Executor:
    """Choose the executor the command line asks for.

    ``--scheduler`` selects Dask (``security``: its ``--security`` file as a
    ``distributed.Security``); otherwise ``--workers 1`` runs in this
    process and any other count in local processes. Without ``--workers``
    (None) a job runs here if it is small and on one process per core if
    not (:class:`AdaptiveExecutor`).
    """
    if scheduler is not None:
        return DaskExecutor(scheduler, workers, security=security)
    if security is not None:
        raise ExecutorError("--security", "", "applies to a Dask scheduler; expected it with "
                            "--scheduler tls://host:8786")
    if workers is None:
        cores = os.cpu_count() or 1
        return InProcessExecutor() if cores == 1 else AdaptiveExecutor(cores)
    return InProcessExecutor() if workers == 1 else LocalProcessExecutor(workers)
