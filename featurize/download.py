"""Downloading FMA's archives: resumable, checksum-verified, then unpacked.

An archive is streamed into ``NAME.zip.part``; an interrupted transfer resumes from there
(HTTP Range), within the run and in a later one. Only a file whose SHA-1 equals the
published one is renamed to ``NAME.zip`` and unpacked; any other is deleted, never unpacked.
"""

import hashlib
import http.client
import time
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

from tqdm import tqdm

from moodclass.errors import DownloadError

FMA_URL = "https://os.unil.cloud.switch.ch/fma/"

#: Archives and their published SHA-1 checksums (from FMA's README).
ARCHIVES = {
    "fma_small": ("fma_small.zip", "ade154f733639d52e35e32f5593efe5be76c6d70"),
    "fma_metadata": ("fma_metadata.zip", "f0df49ffe5f2a6008d7dc83c6915b31835dfe733"),
}
#: What ``--download NAME`` fetches.
DATASETS = {"fma_small": ("fma_small", "fma_metadata"), "fma_metadata": ("fma_metadata",)}


def sha1_of(path, chunk=1 << 20):
    """Hex SHA-1 of a file."""
    h = hashlib.sha1()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


def fetch(url, dest, sha1, retries=5, timeout=60, progress=True):
    """Download `url` to `dest`, resuming a partial download, and check its SHA-1.

    Parameters
    ----------
    url : str
    dest : str or Path
        Final file; the transfer goes to ``dest + '.part'`` until verified.
    sha1 : str
        Expected hex SHA-1.
    retries : int
        Attempts after a broken connection, each resuming where the last one stopped.
    timeout : float
        Seconds without data before a connection counts as broken.
    progress : bool
        Show a progress bar.

    Returns
    -------
    Path
        `dest`, complete and verified.

    Raises
    ------
    DownloadError
        On a checksum mismatch (the file is deleted) or when every attempt failed.
    """
    dest = Path(dest)
    if dest.exists() and sha1_of(dest) == sha1:
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    for attempt in range(retries + 1):
        try:
            _transfer(url, part, timeout, progress)
            break
        except (urllib.error.URLError, http.client.HTTPException, ConnectionError, TimeoutError) as err:
            if isinstance(err, urllib.error.HTTPError) and err.code != 416 and 400 <= err.code < 500:
                raise DownloadError(f"{url}: {err.code} {err.reason}") from None
            if attempt == retries:
                raise DownloadError(f"{url}: failed after {retries + 1} attempts ({err}); run again to resume") from None
            time.sleep(min(2 ** attempt, 30))  # back off: 1 s, 2 s, 4 s ...
    got = sha1_of(part)
    if got != sha1:
        part.unlink()
        raise DownloadError(f"{url}: SHA-1 {got} is not the published {sha1}: the file was corrupted "
                            "and has been deleted (not unpacked); run again to download it afresh")
    part.replace(dest)
    return dest


def _transfer(url, part, timeout, progress):
    offset = part.stat().st_size if part.exists() else 0
    request = urllib.request.Request(url, headers={"Range": f"bytes={offset}-"} if offset else {})
    try:
        response = urllib.request.urlopen(request, timeout=timeout)
    except urllib.error.HTTPError as err:
        if err.code == 416 and offset:  # the part is already complete (or longer than the file)
            return
        raise
    with response:
        resumed = offset and response.status == 206
        if not resumed:
            offset = 0  # the server sent the whole file: start over
        length = response.headers.get("Content-Length")
        total = offset + int(length) if length else None
        with open(part, "ab" if resumed else "wb") as f, tqdm(
            total=total, initial=offset, unit="B", unit_scale=True, desc=Path(url).name, disable=not progress
        ) as bar:
            received = 0
            while block := response.read(1 << 16):
                f.write(block)
                received += len(block)
                bar.update(len(block))
        if length and received < int(length):
            raise ConnectionError(f"connection closed after {offset + received} of {total} bytes")


def unpack(archive, dest):
    """Extract a zip archive into `dest`, refusing members that would land outside it."""
    dest = Path(dest).resolve()
    with zipfile.ZipFile(archive) as z:
        for member in z.namelist():
            if not (dest / member).resolve().is_relative_to(dest):
                raise DownloadError(f"{archive}: member {member!r} would be written outside {dest}")
        z.extractall(dest)


def download_dataset(name, dest, mirror=None, progress=True):
    """Fetch, verify and unpack a dataset's archives into `dest`.

    Parameters
    ----------
    name : {'fma_small', 'fma_metadata'}
        ``fma_small`` fetches the audio and the metadata.
    dest : str or Path
    mirror : str, optional
        Base address to fetch from instead of FMA's (the archives' names are appended).
    progress : bool
    """
    if name not in DATASETS:
        raise DownloadError(f"unknown dataset {name!r}; choose from {', '.join(DATASETS)}")
    if Path(dest).exists() and not Path(dest).is_dir():
        raise DownloadError(f"{dest}: a file, not a folder; name the folder to unpack {name} into")
    base = (mirror or FMA_URL).rstrip("/") + "/"
    for archive in DATASETS[name]:
        filename, sha1 = ARCHIVES[archive]
        path = fetch(base + filename, Path(dest) / filename, sha1, progress=progress)
        print(f"verified {path} (SHA-1 {sha1}); unpacking")
        unpack(path, dest)
    print(f"done: {dest}")
