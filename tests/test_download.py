"""Downloads against a local HTTP server on 127.0.0.1: resume, servers ignoring Range, corruption."""

import hashlib
import io
import threading
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from featurize.__main__ import main as featurize_main
from featurize.download import DownloadError, fetch, unpack


def make_zip():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("fma_small/000/000002.mp3", b"x" * 150_000)
        z.writestr("fma_small/README.txt", "fixture")
    return buf.getvalue()


PAYLOAD = make_zip()
SHA1 = hashlib.sha1(PAYLOAD).hexdigest()


class Server:
    """Serves PAYLOAD at any path. Modes: honour Range, ignore Range, cut the first transfer, corrupt."""

    def __init__(self, mode):
        self.mode, self.requests, self.cut_done = mode, [], False
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                rng = self.headers.get("Range")
                outer.requests.append(rng)
                body = PAYLOAD if outer.mode != "corrupt" else PAYLOAD[:-10] + b"0123456789"
                start = int(rng.split("=")[1].split("-")[0]) if rng and outer.mode != "ignore-range" else 0
                self.send_response(206 if start else 200)
                if start:
                    self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
                self.send_header("Content-Length", str(len(body) - start))
                self.end_headers()
                if outer.mode in ("cut", "ignore-range") and not outer.cut_done:
                    outer.cut_done = True
                    self.wfile.write(body[start:start + 60_000])  # then hang up mid-transfer
                    self.wfile.flush()
                    self.close_connection = True
                    return
                self.wfile.write(body[start:])

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server(request):
    s = Server(request.param)
    yield s
    s.close()


@pytest.mark.parametrize("server", ["cut"], indirect=True)
def test_interrupted_transfer_resumes_with_range(server, tmp_path):
    path = fetch(server.url + "a.zip", tmp_path / "a.zip", SHA1, progress=False)
    assert path.read_bytes() == PAYLOAD
    assert server.requests == [None, "bytes=60000-"]
    assert not (tmp_path / "a.zip.part").exists()


@pytest.mark.parametrize("server", ["ignore-range"], indirect=True)
def test_server_ignoring_range_restarts_from_zero(server, tmp_path):
    path = fetch(server.url + "a.zip", tmp_path / "a.zip", SHA1, progress=False)
    assert path.read_bytes() == PAYLOAD and len(server.requests) == 2


@pytest.mark.parametrize("server", ["range"], indirect=True)
def test_partial_file_from_an_earlier_run_is_resumed(server, tmp_path):
    (tmp_path / "a.zip.part").write_bytes(PAYLOAD[:100_000])
    fetch(server.url + "a.zip", tmp_path / "a.zip", SHA1, progress=False)
    assert (tmp_path / "a.zip").read_bytes() == PAYLOAD and server.requests == ["bytes=100000-"]
    fetch(server.url + "a.zip", tmp_path / "a.zip", SHA1, progress=False)  # verified file: nothing fetched
    assert len(server.requests) == 1


@pytest.mark.parametrize("server", ["corrupt"], indirect=True)
def test_corrupted_file_is_refused_and_deleted(server, tmp_path):
    with pytest.raises(DownloadError, match="SHA-1"):
        fetch(server.url + "a.zip", tmp_path / "a.zip", SHA1, progress=False)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("server", ["range"], indirect=True)
def test_download_command_refuses_files_that_are_not_the_published_ones(server, tmp_path, capsys):
    # The local server's zip is not FMA's: its checksum differs from the published one, so nothing is unpacked.
    assert featurize_main(["--download", "fma_metadata", str(tmp_path / "data"), "--mirror", server.url, "-q"]) == 2
    assert "is not the published f0df49ffe5f2a6008d7dc83c6915b31835dfe733" in capsys.readouterr().err
    assert list((tmp_path / "data").iterdir()) == []
    assert server.requests == [None]


def test_unpack_extracts_and_refuses_escaping_members(tmp_path):
    (tmp_path / "ok.zip").write_bytes(PAYLOAD)
    unpack(tmp_path / "ok.zip", tmp_path / "out")
    assert (tmp_path / "out" / "fma_small" / "000" / "000002.mp3").stat().st_size == 150_000
    with zipfile.ZipFile(tmp_path / "evil.zip", "w") as z:
        z.writestr("../escape.txt", "no")
    with pytest.raises(DownloadError, match="outside"):
        unpack(tmp_path / "evil.zip", tmp_path / "out")
    assert not (tmp_path / "escape.txt").exists()
