"""A build on a real Spark cluster: a standalone master and one worker on 127.0.0.1.

The master and the worker are Spark's own daemons (``spark-class ... Master`` / ``Worker``
from the PySpark package); the build runs in a separate driver process with
``spark.master=spark://127.0.0.1:PORT``, its executor on the worker.
Skipped when the daemons cannot start here.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from engines_support import build_with, differences, spark_missing, warehouse_tables

sys.path.insert(0, str(Path(__file__).parents[1] / "ingest"))
from ingest_support import minimal_rows, write_source  # noqa: E402

from klynge.warehouse._layout import DATABASE  # noqa: E402

pytestmark = [pytest.mark.slow, pytest.mark.spark]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _spark_class() -> Path:
    import pyspark

    return Path(pyspark.__file__).parent / "bin" / "spark-class"


def _wait_for(port: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return True
        time.sleep(0.5)
    return False


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``spark://127.0.0.1:PORT`` of a master with one worker (1 core, 1 GB); stopped afterwards."""
    if reason := spark_missing():
        pytest.skip(reason)
    logs = tmp_path_factory.mktemp("cluster")
    port = _free_port()
    env = {**os.environ, "SPARK_LOCAL_IP": "127.0.0.1", "SPARK_DAEMON_MEMORY": "256m",
           "SPARK_WORKER_DIR": str(logs / "work"), "SPARK_LOG_DIR": str(logs)}
    master_cmd = [str(_spark_class()), "org.apache.spark.deploy.master.Master",
                  "--host", "127.0.0.1", "--port", str(port), "--webui-port", str(_free_port())]
    url = f"spark://127.0.0.1:{port}"
    worker_cmd = [str(_spark_class()), "org.apache.spark.deploy.worker.Worker", url, "--host", "127.0.0.1",
                  "--cores", "1", "--memory", "1g", "--webui-port", str(_free_port())]
    processes = []
    try:
        with (logs / "master.log").open("w") as out:
            processes.append(subprocess.Popen(master_cmd, env=env, stdout=out, stderr=subprocess.STDOUT))
        if not _wait_for(port, 60):
            pytest.skip("the Spark master did not start")
        with (logs / "worker.log").open("w") as out:
            processes.append(subprocess.Popen(worker_cmd, env=env, stdout=out, stderr=subprocess.STDOUT))
        deadline = time.monotonic() + 60
        while "Successfully registered with master" not in (logs / "worker.log").read_text():
            if time.monotonic() > deadline or processes[-1].poll() is not None:
                pytest.skip("the Spark worker did not register with the master")
            time.sleep(0.5)
        yield url
    finally:
        for process in reversed(processes):
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


def test_build_on_a_standalone_cluster(cluster: str, tmp_path: Path) -> None:
    source = write_source(tmp_path / "source", minimal_rows())
    env = {**os.environ, "SPARK_LOCAL_IP": "127.0.0.1"}
    conf = {"spark.master": cluster, "spark.executor.memory": "512m", "spark.driver.memory": "1g",
            "spark.driver.host": "127.0.0.1", "spark.driver.bindAddress": "127.0.0.1",
            "spark.sql.shuffle.partitions": "2"}
    # A driver process of its own (the test session's Spark is local); marts are left out.
    script = ("import sys; from klynge.ingest import build_warehouse; "
              f"build_warehouse(sys.argv[1], sys.argv[2], engine='spark', marts=False, spark_conf={conf!r})")
    command = [sys.executable, "-c", script, str(source), str(tmp_path / "wh")]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-4000:]
    manifest = json.loads((tmp_path / "wh" / "current" / "manifest.json").read_text())
    assert manifest["engine"] == "spark"
    oracle = build_with("duckdb", source, tmp_path / "oracle", marts=False)
    expected, built = warehouse_tables(oracle.path / DATABASE), warehouse_tables(tmp_path / "wh" / "current" / DATABASE)
    assert sorted(built) == sorted(expected)
    assert {name: d for name in expected if (d := differences(expected[name], built[name]))} == {}
