"""`agora serve` on every core: N HTTP worker processes behind one listening socket.

The parent process does what must happen once (embedded PostgreSQL and Redis, migrations, the
demo seed: see agora.cli), then supervises the HTTP processes and, with `--worker`, one job
worker process (arq jobs and the outbox relay, which publishes live events to Redis; every HTTP
process fans them out to its own SSE clients, so a client connected to any process sees them).
SIGTERM or Ctrl-C stops them all gracefully, the HTTP processes finishing the requests in flight.

Each HTTP process gets its share of the app's limits: the pool size and the in-flight request
cap are totals for the server, divided among its processes, so PostgreSQL sees the same number
of connections whatever the process count.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import AsyncIterator, Callable
from types import FrameType
from typing import TYPE_CHECKING, Any, Literal

import msgspec

from agora.settings import Settings

if TYPE_CHECKING:
    from litestar import Litestar

log = logging.getLogger("agora.serve")

# The settings an HTTP process builds its app from (JSON), handed down by the parent. Not under
# the AGORA_ prefix, which load_settings reserves for settings.
CHILD_SETTINGS_ENV = "_AGORA_PROCESS_SETTINGS"
# How long a stopping HTTP process may take to finish its requests (SSE streams end at once).
ORPHAN_STOP_SECONDS = 8.0  # an orphaned job worker's graceful stop, then it leaves
STOP_SECONDS = 20
Server = Literal["granian", "uvicorn"]


def cpu_count() -> int:
    """The CPUs this process may run on (a container's cpuset, not the host's core count)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def process_count(settings: Settings, requested: int | None = None) -> int:
    """HTTP processes to run: the --processes option, else AGORA_PROCESSES, else one per CPU
    (one in dev mode, where the dev LMS and a reader of the log want one process)."""
    value = settings.processes if requested is None else requested
    if value:
        return value
    return 1 if settings.dev else cpu_count()


def _share(total: int, processes: int) -> int:
    return max(1, -(-total // processes))


def per_process(settings: Settings, processes: int) -> Settings:
    """One HTTP process's settings: its share of the pool and of the in-flight cap."""
    pool_max = _share(settings.db_pool_max, processes)
    return msgspec.structs.replace(
        settings,
        processes=processes,
        db_pool_max=pool_max,
        db_pool_min=min(settings.db_pool_min, pool_max),
        max_requests=_share(settings.max_requests, processes),
    )


def child_app() -> Litestar:
    """The app of one HTTP process (a factory the server calls in each process)."""
    stop_signals = _StopSignals()  # first: importing and building the app takes a while
    from agora.app import create_app

    settings = msgspec.json.decode(os.environ[CHILD_SETTINGS_ENV], type=Settings)
    logging.basicConfig(
        level=settings.log_level.upper(), format="%(levelname)s %(name)s: %(message)s"
    )
    if multiprocessing.parent_process() is not None:  # a server's worker, not `agora serve`
        _watch_parent("an HTTP process")
    app = create_app(settings, first_lifespan=[stop_signals.watch])
    app.on_startup.append(stop_signals.started)  # the last start-up hook
    app.on_shutdown.append(_stop_renderer)
    return app


def _stop_renderer() -> None:
    """Stop this process's children (the Markdown renderer's pool): a server process joins its
    children when it exits, and an idle pool's never end by themselves."""
    children = multiprocessing.active_children()
    for child in children:
        child.terminate()
    for child in children:
        child.join(5)


def _catch_early_stop() -> None:
    """In an HTTP process granian has just forked: until the app installs its own handlers
    (_StopSignals, first thing in child_app), the process runs granian's supervisor handlers,
    which would swallow a stop signal meant for it. Catch one, and repeat it until it lands."""
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, _early_stop)


def _early_stop(signum: int, frame: FrameType | None) -> None:
    # The default action is back for the repeats: one landing before the app has handlers of
    # its own ends a process that serves nothing yet; later ones reach the app's handlers.
    signal.signal(signum, signal.SIG_DFL)
    threading.Thread(target=_StopSignals.repeat, args=(signum,), daemon=True).start()


class _StopSignals:
    """SIGTERM/SIGINT in an HTTP process, watched from the moment the process builds its app.

    On a stop signal, end this process's live-event streams as well as the server's own handler
    runs: a stopping server waits for its responses, and an SSE stream never ends by itself (the
    clients reconnect to another process and resume with Last-Event-ID).

    A signal that lands while the process is still starting is repeated once a second until the
    process is gone (at most STOP_SECONDS times): a granian worker ignores one that comes before
    it serves (it still has its parent's handlers while it imports and builds the app, and its
    own stop event only counts once it serves), so a server stopped within a second or two of
    starting hung until its 20 s kill (seen on CI). A repeat while already stopping is a no-op.
    """

    def __init__(self) -> None:
        self.starting = True
        self.repeating = False
        self.stop_streams: Callable[[], None] | None = None
        self._handlers: set[Any] = set()
        self._install()  # before the server's own handlers, which then wrap nothing of ours

    def _install(self) -> None:
        for sig in (signal.SIGTERM, signal.SIGINT):
            previous = signal.getsignal(sig)
            if previous in self._handlers:  # still ours (uvicorn: its handlers came first)
                continue
            if previous is _early_stop:  # the fork-time catcher: replaced, not chained
                previous = None

            def handler(signum: int, frame: FrameType | None, previous: Any = previous) -> None:
                self._on_signal(signum)
                if callable(previous):
                    previous(signum, frame)

            self._handlers.add(handler)
            signal.signal(sig, handler)

    def _on_signal(self, signum: int) -> None:
        if self.stop_streams is not None:
            self.stop_streams()
        if self.starting and not self.repeating:
            self.repeating = True
            threading.Thread(target=self.repeat, args=(signum,), daemon=True).start()

    @contextlib.asynccontextmanager
    async def watch(self, app: Litestar) -> AsyncIterator[None]:
        """The app's first lifespan step: wrap the server's handlers, now installed."""
        loop = asyncio.get_running_loop()

        def end_streams() -> None:
            hub = getattr(app.state, "event_hub", None)
            if hub is not None:
                streams = sum(map(len, hub.listeners.values()))
                log.info("stopping: ending %d live-event streams", streams)
                hub.close()

        def stop_streams() -> None:  # called in a signal handler: hand over to the loop
            loop.call_soon_threadsafe(end_streams)

        self.stop_streams = stop_streams
        self._install()
        yield

    def started(self) -> None:
        self.starting = False

    @staticmethod
    def repeat(signum: int) -> None:
        for _ in range(STOP_SECONDS):
            time.sleep(1)
            os.kill(os.getpid(), signum)


def _run_job_worker(settings_json: bytes) -> None:
    """The job worker process: arq jobs and the outbox relay (it stops on SIGTERM or SIGINT)."""
    from agora.worker import build_worker

    settings = msgspec.json.decode(settings_json, type=Settings)
    logging.basicConfig(
        level=settings.log_level.upper(), format="%(levelname)s %(name)s: %(message)s"
    )
    _watch_parent("the job worker")
    build_worker(settings).run()


def _watch_parent(name: str) -> None:
    # The parent's pid as multiprocessing recorded it when it started this process, not
    # os.getppid() now: a parent killed while this process was still importing (seconds, on a
    # loaded machine) is already gone, and a watch of the new parent would never end.
    parent = multiprocessing.parent_process()
    parent_pid = parent.pid if parent is not None and parent.pid else os.getppid()
    threading.Thread(target=_stop_when_orphaned, args=(parent_pid, name), daemon=True).start()


def _stop_when_orphaned(parent: int, name: str) -> None:
    """A parent killed outright (SIGKILL, out of memory) cannot stop its processes: each stops
    itself, gracefully, so a restarted `agora serve` does not find the port taken or run a
    second job worker beside the new one (granian does not stop its workers either)."""
    while os.getppid() == parent:
        time.sleep(1)
    log.warning("agora serve is gone: %s stops", name)
    os.kill(os.getpid(), signal.SIGTERM)
    # A stop that hangs (a connection that does not close, a job that ignores cancellation)
    # must not keep an orphan alive: its jobs are leased and idempotent, another worker reruns
    # them, so leaving without cleanup loses nothing.
    time.sleep(ORPHAN_STOP_SECONDS)
    log.warning("%s did not stop in %s s: leaving now", name, ORPHAN_STOP_SECONDS)
    os._exit(1)


def _stop(process: multiprocessing.process.BaseProcess) -> None:
    if process.is_alive() and process.pid is not None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(process.pid, signal.SIGTERM)
    process.join(STOP_SECONDS)
    if process.is_alive():
        log.warning("the job worker did not stop in %s s; killing it", STOP_SECONDS)
        process.kill()
        process.join()


def serve_app(
    settings: Settings, *, processes: int, with_worker: bool, server: Server = "granian"
) -> None:
    """Serve until SIGTERM/SIGINT: `processes` HTTP processes, and the job worker if asked."""
    child = per_process(settings, processes)
    os.environ[CHILD_SETTINGS_ENV] = msgspec.json.encode(child).decode()
    job_worker = None
    if with_worker:
        # Spawned, not forked: the parent has run event loops (migrations, the demo seed).
        job_worker = multiprocessing.get_context("spawn").Process(
            target=_run_job_worker, args=(msgspec.json.encode(settings),), name="agora-worker"
        )
        job_worker.start()
    try:
        if server == "granian":
            _granian(settings, processes)
        else:
            _uvicorn(settings, processes)
    finally:
        if job_worker is not None:
            _stop(job_worker)


def _granian(settings: Settings, processes: int) -> None:
    from granian import Granian
    from granian.constants import HTTPModes, Interfaces

    os.register_at_fork(after_in_child=_catch_early_stop)

    Granian(
        "agora.serve:child_app",
        factory=True,
        interface=Interfaces.ASGI,
        address=settings.host,
        port=settings.port,
        workers=processes,
        http=HTTPModes.http1,
        websockets=False,
        log_level=settings.log_level.lower(),  # type: ignore[arg-type]
        log_access=False,
        respawn_failed_workers=True,
        workers_kill_timeout=STOP_SECONDS,
    ).serve()


def _uvicorn(settings: Settings, processes: int) -> None:
    import uvicorn

    uvicorn.run(
        "agora.serve:child_app",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=processes,
        log_level=settings.log_level.lower(),
        access_log=False,
        lifespan="on",
        timeout_graceful_shutdown=STOP_SECONDS,
    )
