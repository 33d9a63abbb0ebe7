"""TLS for a remote Dask scheduler: the ``--security FILE`` of ``sweep`` and ``calibrate``.

A security file is TOML, with paths relative to the file::

    ca_file = "ca.pem"              # the certificate authority that signed the cluster's
    cert = "client.pem"             # this client's certificate (may hold its key too)
    key = "client-key.pem"          # optional: its private key, if not in cert
    require_encryption = true       # optional (default true): refuse plain tcp://

and gives a ``distributed.Security`` for ``--scheduler tls://host:8786``.
Without ``--security``, Dask's own configuration applies
(``distributed.comm.tls.*`` in ``~/.config/dask/*.yaml``, or environment
variables such as ``DASK_DISTRIBUTED__COMM__TLS__CA_FILE``), as for any
``distributed.Client``.
"""

from __future__ import annotations

import difflib
import os
from pathlib import Path
from typing import Any

from sim.experiment.errors import ExecutorError
from sim.scenario.reading import read_toml

__all__ = ["SECURITY_KEYS", "load_security", "require_distributed"]

SECURITY_KEYS = {
    "ca_file": "the certificate authority file (PEM)",
    "cert": "this client's certificate file (PEM)",
    "key": "this client's private key file (PEM), if not in cert",
    "require_encryption": "true to refuse unencrypted connections",
}
"""The keys a security file may hold, and what each is."""
_FILES = ("ca_file", "cert", "key")
_REQUIRED = ("ca_file", "cert")


def require_distributed() -> Any:
    """Return the ``distributed`` module, or raise one line saying how to install it."""
    try:
        import distributed  # deferred: an optional dependency, slow to import
    except ImportError:
        raise ExecutorError("--scheduler", "", "running on Dask needs dask.distributed; "
                            "install it with pip install 'tiered-compute-sim[cluster]'"
                            ) from None
    return distributed


def load_security(path: str | os.PathLike[str]) -> Any:
    """Read a security file; return a ``distributed.Security`` for a ``tls://`` scheduler.

    Raises
    ------
    ExecutorError
        One line naming the file and the key: a missing or malformed file, an
        unknown key, a missing certificate, a path that is not a readable file.
    """
    file = Path(path)
    data = read_toml(file, ExecutorError, "security file")
    for key in data:
        if key not in SECURITY_KEYS:
            near = difflib.get_close_matches(key, list(SECURITY_KEYS), n=1)
            hint = f"; did you mean {near[0]!r}?" if near else ""
            raise ExecutorError(file, key, "unknown key; expected "
                                + ", ".join(SECURITY_KEYS) + hint)
    for key in _REQUIRED:
        if key not in data:
            raise ExecutorError(file, key, f"missing; expected {SECURITY_KEYS[key]}")
    paths = {key: _certificate(file, key, data[key]) for key in _FILES if key in data}
    encryption = data.get("require_encryption", True)
    if not isinstance(encryption, bool):
        raise ExecutorError(file, "require_encryption", f"expected true or false, found "
                                                        f"{type(encryption).__name__}")
    return require_distributed().Security(
        tls_ca_file=paths["ca_file"], tls_client_cert=paths["cert"],
        tls_client_key=paths.get("key"), require_encryption=encryption)


def _certificate(file: Path, key: str, value: Any) -> str:
    """Return the absolute path of a certificate named under ``key`` (relative to ``file``)."""
    if not isinstance(value, str) or not value:
        raise ExecutorError(file, key, f"expected a file name, found {type(value).__name__}")
    try:
        path = (file.parent / value).resolve()
        readable = path.is_file() and os.access(path, os.R_OK)
    except (OSError, RuntimeError, ValueError):  # a NUL, a loop, a name too long
        readable = False
    if not readable:
        raise ExecutorError(file, key, f"expected a readable file, found {value!r}")
    return str(path)
