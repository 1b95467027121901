"""api/cli/models.py: `hotline models fetch` verifies the sha256 and fails clearly without a network."""

from __future__ import annotations

import hashlib
import io
import threading
import zipfile
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from api.cli import main


@pytest.fixture()
def served(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """A tiny fake model archive on a loopback HTTP server: (url, sha256)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("vosk-model-small-cn-0.22/am/final.mdl", b"not really a model")
        zf.writestr("vosk-model-small-cn-0.22/conf/mfcc.conf", "--sample-frequency=16000\n")
    (tmp_path / "www").mkdir()
    (tmp_path / "www" / "model.zip").write_bytes(buffer.getvalue())
    handler = partial(SimpleHTTPRequestHandler, directory=str(tmp_path / "www"))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield (
            f"http://127.0.0.1:{server.server_port}/model.zip",
            hashlib.sha256(buffer.getvalue()).hexdigest(),
        )
    finally:
        server.shutdown()
        server.server_close()


def test_fetch_requires_a_sha256(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["models", "fetch", "vosk-cn", "--dest", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "sha256" in err and "校验值" in err


def test_fetch_fails_clearly_when_the_network_is_unreachable(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        [
            "models",
            "fetch",
            "vosk-cn",
            "--dest",
            str(tmp_path),
            "--sha256",
            "0" * 64,
            "--url",
            "http://127.0.0.1:9/vosk-model-small-cn-0.22.zip",
        ]
    )
    assert code == 2
    err = capsys.readouterr().err
    assert "无法下载模型" in err and "Cannot download" in err and "HOTLINE_VOSK_MODEL" in err
    assert not (tmp_path / "vosk-model-small-cn-0.22").exists()


def test_fetch_verifies_and_unpacks(
    tmp_path: Path, served: tuple[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    url, digest = served
    dest = tmp_path / "models"
    assert main(["models", "fetch", "vosk-cn", "--dest", str(dest), "--sha256", "f" * 64, "--url", url]) == 2
    assert "sha256" in capsys.readouterr().err and not (dest / "vosk-model-small-cn-0.22").exists()
    assert main(["models", "fetch", "vosk-cn", "--dest", str(dest), "--sha256", digest, "--url", url]) == 0
    assert (dest / "vosk-model-small-cn-0.22" / "am" / "final.mdl").is_file()
    assert "HOTLINE_VOSK_MODEL=" in capsys.readouterr().out
    assert list(dest.iterdir()) == [dest / "vosk-model-small-cn-0.22"]  # no temporary leftovers
