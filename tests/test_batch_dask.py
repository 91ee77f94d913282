"""geomap.corpus on Dask: a LocalCluster on 127.0.0.1, joining an existing cluster, lazy results."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("distributed")
dask_geopandas = pytest.importorskip("dask_geopandas")

from geomap.corpus import TABLES, read_batch, run_batch  # noqa: E402
from geomap.errors import ConfigError  # noqa: E402
from test_batch import errors, rows, write_jsonl  # noqa: E402


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return write_jsonl(tmp_path_factory.mktemp("corpus") / "in.jsonl", 40, extra=["{broken"])


@pytest.fixture(scope="module")
def local_run(corpus, tmp_path_factory):
    from fakes import FakeGazetteer

    out = tmp_path_factory.mktemp("local") / "out"
    run_batch(corpus, out, workers=1, chunk_size=6, gazetteer=FakeGazetteer(), offline=True, progress=False)
    return out


def same_output(a, b) -> None:
    for table in TABLES:
        assert rows(a, table) == rows(b, table), table
    assert errors(a) == errors(b)


def test_local_cluster_gives_the_same_output_as_local_processes(corpus, local_run, tmp_path, fake_gazetteer):
    out = tmp_path / "dask"
    res = run_batch(
        corpus, out, engine="dask", workers=2, dask_processes=False, chunk_size=6,
        gazetteer=fake_gazetteer, offline=True, progress=False,
    )
    same_output(out, local_run)
    report = json.loads((out / "report.json").read_text())
    assert report["engine"] == "dask" and report["workers"] == 2
    assert res.counts["failed"] == 1


def test_local_cluster_of_worker_processes(corpus, local_run, tmp_path, fake_gazetteer):
    out = tmp_path / "dask-procs"
    run_batch(corpus, out, engine="dask", workers=2, chunk_size=6, gazetteer=fake_gazetteer, offline=True, progress=False)
    same_output(out, local_run)


def test_joining_an_existing_cluster(corpus, local_run, tmp_path, fake_gazetteer):
    from distributed import LocalCluster

    with LocalCluster(n_workers=1, threads_per_worker=2, processes=False, host="127.0.0.1", protocol="tcp", dashboard_address=None) as cluster:
        assert cluster.scheduler_address.startswith("tcp://127.0.0.1:")
        out = tmp_path / "joined"
        run_batch(
            corpus, out, engine="dask", scheduler=cluster.scheduler_address, chunk_size=6,
            gazetteer=fake_gazetteer, offline=True, progress=False,
        )
        # the cluster is the caller's: still up after the run
        assert cluster.scheduler.status.name == "running"
    same_output(out, local_run)


def test_unreachable_scheduler_is_a_config_error(corpus, tmp_path, fake_gazetteer):
    import dask

    with dask.config.set({"distributed.comm.timeouts.connect": "1s"}):
        with pytest.raises(ConfigError, match="cannot connect"):
            run_batch(corpus, tmp_path / "out", engine="dask", scheduler="tcp://127.0.0.1:9", gazetteer=fake_gazetteer, offline=True, progress=False)


def test_results_as_lazy_dask_geopandas_frames(local_run):
    events = read_batch(local_run, "events")
    assert isinstance(events, dask_geopandas.GeoDataFrame)
    assert events.npartitions == 7  # one per chunk
    assert events.crs.to_epsg() == 4326
    eager = events.compute()
    assert len(eager) == json.loads((local_run / "report.json").read_text())["counts"]["events"]
    in_europe = events.cx[-10:40, 35:60].compute()
    assert 0 < len(in_europe) < len(eager)
    places = read_batch(local_run, "places")
    per_doc = places.groupby("doc_id").size().compute()
    assert per_doc.sum() == len(places.compute())
    with pytest.raises(ConfigError, match="unknown table"):
        read_batch(local_run, "people")
