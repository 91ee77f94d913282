"""Where chunks run: in this process, on local worker processes, or on a Dask cluster.

Each engine has ``submit(task) -> future``, ``wait(futures)``, ``close()`` and a number
of ``slots``; :func:`drive` keeps at most that many chunks in flight.
"""

from __future__ import annotations

import concurrent.futures as cf
import os
from collections.abc import Iterable
from typing import Any

from ..errors import ConfigError, GeomapError
from . import work
from .work import ChunkTask

__all__ = ["ENGINES", "check_engine", "make_engine", "drive"]

ENGINES = ("local", "dask")


class _Serial:
    """In this process, one chunk at a time (``workers=1``)."""

    slots = 1
    workers = 1

    def submit(self, task: ChunkTask) -> cf.Future:
        fut: cf.Future = cf.Future()
        try:
            fut.set_result(work.run_chunk(task))
        except BaseException as exc:  # handed to the caller through the future, like the pools do
            fut.set_exception(exc)
        return fut

    def wait(self, futures: set) -> tuple[set, set]:
        done, rest = cf.wait(futures, return_when=cf.FIRST_COMPLETED)
        return set(done), set(rest)

    def close(self) -> None:
        pass


class _Processes(_Serial):
    """Local worker processes (``concurrent.futures.ProcessPoolExecutor``; nothing to start beforehand)."""

    def __init__(self, workers: int) -> None:
        import multiprocessing as mp

        # forkserver: workers start from a clean process, so no SQLite connection is inherited by fork
        ctx = mp.get_context("forkserver")
        ctx.set_forkserver_preload(["geomap.corpus.work", "geomap.api"])
        self.workers = workers
        self.slots = workers * 2
        # workers (and the forkserver) end when this process ends, however it ends
        self.pool = cf.ProcessPoolExecutor(
            max_workers=workers, mp_context=ctx, initializer=work.worker_init, initargs=(os.getpid(),),
        )

    def submit(self, task: ChunkTask) -> cf.Future:
        return self.pool.submit(work.run_chunk, task)

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)


class _Dask:
    """A Dask cluster: the one at ``scheduler``, or a ``LocalCluster`` on 127.0.0.1."""

    def __init__(self, workers: int | None, scheduler: str | None, gazetteer: Any | None, processes: bool = True) -> None:
        try:
            from distributed import Client, LocalCluster
        except ImportError:
            raise ConfigError("--engine dask needs dask.distributed: pip install 'dask[distributed]' dask-geopandas") from None
        import logging

        self.cluster = None
        try:
            if scheduler:
                self.client = Client(scheduler)
            else:
                self.cluster = LocalCluster(
                    n_workers=workers or os.cpu_count() or 1, threads_per_worker=1, processes=processes,
                    host="127.0.0.1", protocol="tcp", dashboard_address=None, silence_logs=logging.ERROR,
                )
                self.client = Client(self.cluster)
        except (OSError, TimeoutError) as exc:
            if self.cluster is not None:
                self.cluster.close()
            raise ConfigError(f"--scheduler {scheduler}: cannot connect to the Dask scheduler ({exc})") from None
        self.workers = sum(self.client.nthreads().values()) or 1
        self.slots = self.workers * 2
        self.gazetteer = self.client.scatter(gazetteer, broadcast=True) if gazetteer is not None else None

    def submit(self, task: ChunkTask):
        if self.gazetteer is not None:
            task.gazetteer = None
            return self.client.submit(work.run_chunk_with, task, self.gazetteer, pure=False)
        return self.client.submit(work.run_chunk, task, pure=False)

    def wait(self, futures: set) -> tuple[set, set]:
        from distributed import wait

        done, rest = wait(list(futures), return_when="FIRST_COMPLETED")
        return set(done), set(rest)

    def close(self) -> None:
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()


def check_engine(engine: str, workers: int | None, scheduler: str | None) -> None:
    if engine not in ENGINES:
        raise ConfigError(f"--engine {engine!r}: use one of {', '.join(ENGINES)}")
    if workers is not None and workers < 1:
        raise ConfigError(f"--workers must be at least 1, got {workers}")
    if scheduler and engine != "dask":
        raise ConfigError("--scheduler needs --engine dask")


def make_engine(engine: str, workers: int | None, scheduler: str | None, gazetteer: Any | None, dask_processes: bool):
    check_engine(engine, workers, scheduler)
    if engine == "dask":
        return _Dask(workers, scheduler, gazetteer, processes=dask_processes)
    n = workers or os.cpu_count() or 1
    return _Serial() if n == 1 else _Processes(n)


def drive(engine: Any, tasks: Iterable[tuple[ChunkTask, Any]], on_done) -> None:
    """Run tasks with a bounded number in flight (memory stays flat however long the corpus)."""
    from concurrent.futures.process import BrokenProcessPool

    inflight: dict[Any, Any] = {}
    it = iter(tasks)
    exhausted = False
    try:
        while True:
            while not exhausted and len(inflight) < engine.slots:
                try:
                    task, extra = next(it)
                except StopIteration:
                    exhausted = True
                    break
                inflight[engine.submit(task)] = extra
            if not inflight:
                return
            done, _ = engine.wait(set(inflight))
            for fut in done:
                extra = inflight.pop(fut)
                on_done(fut.result(), extra)
    except BrokenProcessPool:
        raise GeomapError("a worker process died (out of memory?); run the same command again to resume") from None
