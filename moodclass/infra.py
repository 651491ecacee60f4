"""Shared infrastructure: where the tool writes, atomic writes, progress bars, library versions."""

import ctypes
import os
import platform
import signal
import stat
import sys
import tempfile
import threading
from collections.abc import Callable
from contextlib import contextmanager
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from tqdm import tqdm

from moodclass.errors import UsageError, disk_reason

#: Where the commands write feature tables, models, labels and reports (relative to the working folder).
DEFAULT_CACHE = Path("cache")


def library_versions() -> dict[str, str]:
    """Versions of Python and of every library that shapes the feature values or the models."""
    import soundfile

    names = ["librosa", "numpy", "scipy", "soundfile", "soxr", "numba", "pandas", "pyarrow", "scikit-learn", "skops"]
    versions = {"python": platform.python_version()}
    for name in names:
        try:
            versions[name] = version(name)
        except PackageNotFoundError:
            pass
    versions["libsndfile"] = soundfile.__libsndfile_version__
    return versions


def path_text(path: str | os.PathLike) -> str:
    """`path` as text that can be written anywhere (UTF-8 tables, CSV, JSON, a terminal).

    A file name whose bytes are not UTF-8 (common in libraries copied from other systems;
    Python reads them as lone surrogates, which no UTF-8 file can hold) shows each such byte
    as ``\\xNN``, as ``ls -b`` does: ``caf\\xe9.mp3`` for the Latin-1 name ``café.mp3``.
    Every other name is returned as it is.

    Parameters
    ----------
    path : str or os.PathLike

    Returns
    -------
    str
    """
    text = os.fspath(path)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return os.fsencode(text).decode("utf-8", "backslashreplace")
    return text


def die_with_parent(parent_pid: int) -> None:
    """Have this worker process killed as soon as `parent_pid`, the run that started it, dies.

    Without this, the workers of a run killed with ``kill -9`` compute on, and a table's lock
    or two cores stay taken. Linux only (``prctl(PR_SET_PDEATHSIG)``); does nothing in a
    process whose parent is not `parent_pid` (the run itself, or a Dask worker).

    Parameters
    ----------
    parent_pid : int
        The process whose end ends this one.
    """
    if os.getppid() != parent_pid or not sys.platform.startswith("linux"):
        return
    try:
        ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    if os.getppid() != parent_pid:  # the run died before the call took effect
        os._exit(1)


@contextmanager
def one_process_at_a_time(name: str):
    """Hold an exclusive lock named `name`, shared by every process of this user on this machine,
    for the ``with`` block: another process reaching a block of the same name waits for this one.

    The lock is ``flock`` on a file in the temporary folder, released by the kernel when its holder
    ends (killed included). Where that file cannot be opened, or without ``fcntl`` (Windows), the
    block runs unlocked.

    Parameters
    ----------
    name : str
        What is locked, as a file name.
    """
    try:
        import fcntl

        fd = os.open(Path(tempfile.gettempdir()) / f"moodclass-{os.getuid()}-{name}.lock", os.O_RDWR | os.O_CREAT,
                     0o600)
    except (ImportError, AttributeError, OSError):
        yield
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def parallel(n_jobs: int, **kwargs):
    """A joblib ``Parallel`` of `n_jobs` whose local worker processes die with this one
    (:func:`die_with_parent`); a backend chosen with ``joblib.parallel_config`` (Dask's) is
    used as it is. scikit-learn's subclass: with its ``delayed``, each task runs with the
    caller's scikit-learn settings (metadata routing).

    Parameters
    ----------
    n_jobs : int
        As joblib counts: -1 all cores.
    **kwargs
        Passed to :class:`sklearn.utils.parallel.Parallel`.

    Returns
    -------
    sklearn.utils.parallel.Parallel
    """
    from joblib.parallel import LokyBackend, get_active_backend
    from sklearn.utils.parallel import Parallel

    backend, _ = get_active_backend()
    if type(backend) is LokyBackend:  # joblib's default: processes of this machine
        kwargs["backend"] = LokyBackend(initializer=die_with_parent, initargs=(os.getpid(),))
    return Parallel(n_jobs=n_jobs, **kwargs)


def atomic_write(path: str | Path, write: Callable[[str], object]) -> None:
    """Call ``write(tmp_path)``, then rename the temporary file onto `path`.

    A crash at any point leaves either the old file or the new one, never a partial file; a
    file replaced keeps its permissions. An OSError (a full disk) names `path`.

    Parameters
    ----------
    path : str or Path
    write : callable
        ``write(temporary_path)`` writes the whole file.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        write(tmp)
        # mkstemp makes owner-only files: give the replaced file's permissions, or the usual ones.
        os.chmod(tmp, stat.S_IMODE(os.stat(path).st_mode) if path.exists() else 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException as err:
        if os.path.exists(tmp):
            os.remove(tmp)
        if isinstance(err, OSError) and err.errno is not None and err.filename in (None, tmp):
            raise OSError(err.errno, err.strerror, str(path)) from None
        raise


def save_figure(fig, path: str | Path, *, dpi: int = 120) -> None:
    """Write a matplotlib figure to `path` as a PNG, atomically (:func:`atomic_write`), and close it.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
    path : str or Path
    dpi : int
    """
    import matplotlib.pyplot as plt

    try:
        atomic_write(path, lambda tmp: fig.savefig(tmp, dpi=dpi, format="png"))
    finally:
        plt.close(fig)


def check_writable(path: str | Path, option: str, *, shown: str | Path | None = None) -> None:
    """Raise :class:`UsageError` unless the file `path` can be written (its folder made where
    missing): checked before any work, so that nothing is computed for nothing. Makes nothing.
    The message names `option` and `shown` (default `path`).

    Parameters
    ----------
    path : str or Path
        The file to be written.
    option : str
        The option that named it, for the message.
    shown : str or Path, optional
        How to name it in the message (default: `path`).
    """
    path = Path(path)
    shown = path if shown is None else shown
    if path.is_dir():
        raise UsageError(f"{option} {shown}: a folder; name the file to write")
    folder = path.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if not folder.is_dir():
        raise UsageError(f"{option} {shown}: {folder} is a file, not a folder; choose another place")
    if path.exists() and not os.stat(path).st_mode & stat.S_IWUSR:
        raise UsageError(f"{option} {shown}: the file is read-only; make it writable (chmod u+w) to replace it, "
                         "or choose another place")
    try:
        with tempfile.TemporaryFile(dir=folder, prefix=".moodclass-check-"):
            pass
    except OSError as err:
        problem = disk_reason(err) or f"cannot write there ({err.strerror})"
        raise UsageError(f"{option} {shown}: {problem} in {folder}; choose another place") from None


def _umask():
    with _UMASK_LOCK:  # reading it sets it: two threads at once could leave it at 0
        mask = os.umask(0)
        os.umask(mask)
    return mask


_UMASK_LOCK = threading.Lock()


def progress_bar(**kwargs) -> tqdm:
    """A tqdm bar on stderr: live on a terminal, a line every 10 s in a log."""
    return tqdm(smoothing=0.05, mininterval=0.1 if sys.stderr.isatty() else 10.0, **kwargs)
