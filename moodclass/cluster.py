"""Connecting to a Dask cluster, for both commands' ``--scheduler``. Dask is imported only here,
and only when a scheduler is asked for (``pip install -e '.[dask]'``)."""

import os
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from moodclass.errors import UsageError

#: Seconds a scheduler has to answer, handshake included; a port that accepts connections but
#: does not speak Dask's protocol (a web server, the dashboard) would otherwise hang the run.
CONNECT_SECONDS = 10
_ADDRESS = re.compile(r"^((tcp|tls|ws|wss|ucx)://)?(\[[0-9a-fA-F:]+\]|[^:/\[\]\s]+):\d{1,5}/?$")
_START = "start one with `dask scheduler` and workers with `dask worker ADDRESS --nthreads 1`"


@contextmanager
def dask_client(address: str) -> Iterator:
    """A ``dask.distributed.Client`` for the block: ``'local'`` starts (and then stops) a LocalCluster of
    one-thread worker processes on this machine; anything else is a running scheduler's address.

    Parameters
    ----------
    address : str
        A scheduler's address, or ``'local'``.

    Yields
    ------
    distributed.Client

    Raises
    ------
    UsageError
        If Dask is not installed, `address` is not one, or no Dask scheduler answers there
        within :data:`CONNECT_SECONDS`.
    """
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError:
        raise UsageError("--scheduler needs Dask: pip install -e '.[dask]'") from None
    if address == "local":
        with LocalCluster(n_workers=os.cpu_count() or 1, threads_per_worker=1, processes=True,
                          dashboard_address=None) as cluster, Client(cluster) as client:
            yield client
        return
    if not _ADDRESS.match(address):
        raise UsageError(f"--scheduler {address}: not a scheduler's address; give tcp://HOST:PORT (Dask's default "
                         "port is 8786) or 'local'")
    with _connect(Client, address) as client:
        yield client


def _connect(Client, address: str):
    """``Client(address)``, given up on after :data:`CONNECT_SECONDS` whatever the other end does."""
    outcome = {}

    def connect():
        try:
            outcome["client"] = Client(address, timeout=f"{CONNECT_SECONDS - 2}s")
        except Exception as err:  # raised in the main thread below
            outcome["error"] = err

    thread = threading.Thread(target=connect, name="dask-connect", daemon=True)
    thread.start()
    thread.join(CONNECT_SECONDS)
    err = outcome.get("error")
    if thread.is_alive():
        raise UsageError(f"--scheduler {address}: something answers there, but not a Dask scheduler (no handshake in "
                         f"{CONNECT_SECONDS} s; is it the dashboard's port?); {_START}")
    if isinstance(err, (OSError, TimeoutError)):
        raise UsageError(f"--scheduler {address}: no scheduler answers there ({err}); {_START}") from None
    if err is not None:  # the other end answered, with something that is not Dask's protocol
        raise UsageError(f"--scheduler {address}: not a Dask scheduler ({type(err).__name__}: {err}); {_START}") from None
    return outcome["client"]
