"""Issue 20 (Hardening II), Dask: TLS for a remote scheduler, and no web pages on a local one.

``--security FILE`` gives a ``distributed.Security`` for ``tls://``
schedulers (checked up front, one line for every mistake); a real TLS
cluster (a self-signed certificate from ``openssl``) runs chunks through it
and refuses a client without it. The ``LocalCluster`` that ``--scheduler
local`` starts serves no page (Dask's scheduler always listens for HTTP;
``dashboard_address=None`` still meant 127.0.0.1:8787).
"""

from __future__ import annotations

import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from sim.cli import main
from sim.experiment.executors import DaskExecutor

ROOT = Path(__file__).resolve().parent.parent
SWEEP = ROOT / "scenarios" / "sweeps" / "quick.toml"
TARGETS = sorted((ROOT / "scenarios" / "targets").glob("*.toml"))[0]
PAGES = ("/status", "/health", "/metrics", "/info/main/workers.html", "/json/identity.json")


def _status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_a_local_cluster_serves_no_page_and_listens_on_loopback_only() -> None:
    executor = DaskExecutor("local", workers=1)
    try:
        info = executor.client.scheduler_info()
        listeners = [info["services"]["dashboard"],
                     *(w["services"]["dashboard"] for w in info["workers"].values())]
        http = executor._cluster.scheduler.http_server.address  # type: ignore[union-attr]
        statuses = {(port, page): _status(f"http://127.0.0.1:{port}{page}")
                    for port in listeners for page in PAGES}
    finally:
        executor.close()
    assert http == "127.0.0.1" and 8787 not in listeners
    assert set(statuses.values()) == {404}, statuses


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A self-signed certificate and key (one pair serves scheduler, workers and client)."""
    folder = tmp_path_factory.mktemp("tls")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", str(folder / "key.pem"),
                    "-out", str(folder / "cert.pem"), "-days", "2", "-subj", "/CN=localhost"],
                   check=True, capture_output=True, stdin=subprocess.DEVNULL, timeout=60)
    (folder / "security.toml").write_text('ca_file = "cert.pem"\ncert = "cert.pem"\n'
                                          'key = "key.pem"\n')
    return folder


_TLS_CHECK = """
import faulthandler, sys
faulthandler.dump_traceback_later(float(sys.argv[2]), exit=True)  # where it hangs, if it does
from pathlib import Path
import distributed
from sim.experiment.dask_security import load_security
from sim.experiment.executors import DaskExecutor, ExecutorError, run_in_order

class Job:
    def __init__(self, index):
        self.index = index

def square(job):
    return job.index ** 2

def refused(address):
    try:
        DaskExecutor(address)
    except ExecutorError as exc:
        return str(exc)
    raise AssertionError(f"{address} was not refused")

if __name__ == "__main__":
    folder = Path(sys.argv[1])
    cert, key = str(folder / "cert.pem"), str(folder / "key.pem")
    server = distributed.Security(
        tls_ca_file=cert, tls_scheduler_cert=cert, tls_scheduler_key=key, tls_worker_cert=cert,
        tls_worker_key=key, tls_client_cert=cert, tls_client_key=key, require_encryption=True)
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                                  protocol="tls://", security=server,
                                  dashboard_address="127.0.0.1:0") as cluster:
        address = cluster.scheduler_address
        security = load_security(folder / "security.toml")
        executor = DaskExecutor(address, security=security)
        try:
            squares = run_in_order(executor, square, [Job(k) for k in range(4)])
        finally:
            executor.close()
        print("address", address)
        print("encryption", security.require_encryption, security.tls_client_key == key)
        print("squares", squares)
        print("without", refused(address))
        print("plain", refused(address.replace("tls://", "tcp://")))  # right port, wrong protocol
"""
TLS_DEADLINE_S = 150
"""The TLS check runs in a child process that prints its stack and ends past this."""


def test_a_tls_scheduler_runs_chunks_with_the_security_file_and_refuses_without(
        certificate: Path) -> None:
    script = certificate / "tls_check.py"
    script.write_text(_TLS_CHECK)
    done = subprocess.run([sys.executable, str(script), str(certificate), str(TLS_DEADLINE_S)],
                          capture_output=True, text=True, stdin=subprocess.DEVNULL,
                          cwd=ROOT, timeout=TLS_DEADLINE_S + 30, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    lines = dict(line.split(" ", 1) for line in done.stdout.splitlines())
    assert lines["address"].startswith("tls://")
    assert lines["encryption"] == "True True"
    assert lines["squares"] == "[0, 1, 4, 9]"
    assert "needs --security FILE" in lines["without"]
    assert "tls:// address" in lines["plain"]


def _security_file(tmp_path: Path, text: str) -> Path:
    (tmp_path / "cert.pem").write_text("not checked here")
    path = tmp_path / "security.toml"
    path.write_text(text)
    return path


@pytest.mark.parametrize(("text", "expected"), [
    (None, "expected an existing security file"),
    ('ca_file = "cert.pem"\ncert = "cert.pem"\nkeyy = "k.pem"\n', "keyy: unknown key"),
    ('cert = "cert.pem"\n', "ca_file: missing"),
    ('ca_file = "cert.pem"\ncert = "nope.pem"\n', "cert: expected a readable file"),
    ('ca_file = "cert.pem"\ncert = 3\n', "cert: expected a file name"),
    ('ca_file = "cert.pem"\ncert = "cert.pem"\nrequire_encryption = "yes"\n',
     "require_encryption: expected true or false"),
    ('ca_file = [', "malformed TOML"),
], ids=["missing", "unknown-key", "no-ca", "no-cert-file", "cert-not-string", "not-bool",
        "not-toml"])
@pytest.mark.parametrize("command", ["sweep", "calibrate"])
def test_a_bad_security_file_is_one_line_before_any_work(
        tmp_path: Path, text: str | None, expected: str, command: str,
        capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "security.toml" if text is None else _security_file(tmp_path, text)
    target = SWEEP if command == "sweep" else TARGETS
    out = tmp_path / "out"
    assert main([command, str(target), "--scheduler", "tls://127.0.0.1:9", "--security",
                 str(path), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"{path}: " in err and expected in err, err
    assert not out.exists()


@pytest.mark.parametrize("scheduler", [[], ["--scheduler", "local"]], ids=["none", "local"])
@pytest.mark.parametrize("command", ["sweep", "calibrate"])
def test_security_needs_a_remote_scheduler(tmp_path: Path, scheduler: list[str], command: str,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    target = SWEEP if command == "sweep" else TARGETS
    out = tmp_path / "out"
    assert main([command, str(target), *scheduler, "--security", "s.toml",
                 "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--security: " in err and "tls://" in err
    assert not out.exists()
