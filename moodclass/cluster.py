"""Connecting to a Dask cluster, for both commands' ``--scheduler``. Dask is imported only here,
and only when a scheduler is asked for (``pip install -e '.[dask]'``)."""

import os
from collections.abc import Iterator
from contextlib import contextmanager

from moodclass.errors import UsageError


@contextmanager
def dask_client(address: str) -> Iterator:
    """A ``dask.distributed.Client`` for the block: ``'local'`` starts (and then stops) a LocalCluster of
    one-thread worker processes on this machine; anything else is a running scheduler's address.

    Raises
    ------
    UsageError
        If Dask is not installed or the scheduler cannot be reached.
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
    try:
        client = Client(address, timeout="10s")
    except (OSError, TimeoutError) as err:
        raise UsageError(f"--scheduler {address}: no scheduler answers there ({err}); start one with "
                         "`dask scheduler` and workers with `dask worker ADDRESS --nthreads 1`") from None
    with client:
        yield client
