"""``hotline models fetch vosk-cn``: download a Mandarin Vosk model, verify its sha256, unpack it.

No package ships a Mandarin Vosk model, so a deployment fetches one once and points
HOTLINE_VOSK_MODEL at the unpacked folder. The digest is checked before anything is unpacked; the
publisher lists no checksum, so the operator supplies the one they trust with ``--sha256`` (taken
from a copy they verified, or from their own mirror).
"""

from __future__ import annotations

import argparse
import hashlib
import logging
import shutil
import sys
import tempfile
import urllib.error
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path

from api.settings import PROJECT_ROOT

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ModelSource:
    """Where a model comes from; ``sha256`` is None when no trusted digest is known to the code."""

    name: str
    url: str
    folder: str
    size_mb: int
    sha256: str | None


MODELS: dict[str, ModelSource] = {
    "vosk-cn": ModelSource(
        "vosk-model-small-cn-0.22",
        "https://alphacephei.com/vosk/models/vosk-model-small-cn-0.22.zip",
        "vosk-model-small-cn-0.22",
        42,
        None,  # not published by alphacephei; pass --sha256
    ),
    "vosk-cn-large": ModelSource(
        "vosk-model-cn-0.22",
        "https://alphacephei.com/vosk/models/vosk-model-cn-0.22.zip",
        "vosk-model-cn-0.22",
        1300,
        None,
    ),
}
TIMEOUT_S = 20.0


class FetchError(RuntimeError):
    """A download or verification failure, worded for the operator (Chinese and English)."""


def sha256_of(path: Path) -> str:
    """Hex sha256 of a file, read in blocks (the large model is 1.3 GB)."""
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def download(url: str, target: Path, *, timeout: float = TIMEOUT_S) -> None:
    """Fetch ``url`` into ``target``; an unreachable network becomes one clear FetchError."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response, target.open("wb") as out:  # noqa: S310
            shutil.copyfileobj(response, out, 1 << 20)
    except (urllib.error.URLError, TimeoutError, ConnectionError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise FetchError(
            f"无法下载模型（网络不可达或地址无效）：{url}；原因：{reason}。"
            f"请在能访问该地址的机器上下载后拷贝过来，再设置 HOTLINE_VOSK_MODEL。 / "
            f"Cannot download {url}: {reason}. Download it where the network allows, copy it here "
            f"and set HOTLINE_VOSK_MODEL."
        ) from exc


def fetch(source: ModelSource, dest: Path, *, sha256: str | None, url: str | None = None) -> Path:
    """Download, verify and unpack ``source`` under ``dest``; returns the model folder."""
    expected = (sha256 or source.sha256 or "").lower().strip()
    if len(expected) != 64 or any(c not in "0123456789abcdef" for c in expected):
        raise FetchError(
            "需要提供模型压缩包的 sha256 校验值（--sha256，64 位十六进制）：发布方没有公布校验值，"
            "程序无法替您确认下载内容。 / --sha256 (64 hex digits) is required: the publisher lists "
            "no checksum, so the download cannot be verified otherwise."
        )
    final = dest / source.folder
    if final.exists():
        raise FetchError(f"目标目录已存在：{final}（如需重新下载请先删除） / {final} already exists")
    dest.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=dest) as tmp:
        archive = Path(tmp) / "model.zip"
        log.info("models.fetch.start", extra={"url": url or source.url})
        download(url or source.url, archive)
        actual = sha256_of(archive)
        if actual != expected:
            raise FetchError(
                f"校验失败：下载文件的 sha256 为 {actual}，与期望值 {expected} 不符，已丢弃。 / "
                f"sha256 mismatch: got {actual}, expected {expected}; the download was discarded."
            )
        try:
            with zipfile.ZipFile(archive) as zf:
                for member in zf.namelist():
                    if member.startswith("/") or ".." in Path(member).parts:
                        raise FetchError(f"压缩包含有不安全的路径 / unsafe path in archive: {member}")
                zf.extractall(tmp)
        except zipfile.BadZipFile as exc:
            raise FetchError("下载的文件不是有效的 zip 压缩包 / the download is not a zip archive") from exc
        unpacked = Path(tmp) / source.folder
        if not (unpacked / "am" / "final.mdl").is_file():
            raise FetchError(f"压缩包里没有 {source.folder}/am/final.mdl / not a Vosk model archive")
        unpacked.rename(final)
    return final


def _fetch_command(args: argparse.Namespace) -> int:
    source = MODELS[args.model]
    try:
        folder = fetch(source, Path(args.dest), sha256=args.sha256, url=args.url)
    except FetchError as exc:
        sys.stderr.write(f"错误: {exc}\n")
        return 2
    sys.stdout.write(f"模型已就绪 / model ready: {folder}\n请设置 / set: HOTLINE_VOSK_MODEL={folder}\n")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add ``hotline models fetch``."""
    parser = subparsers.add_parser("models", help="下载并校验语音识别模型")
    sub = parser.add_subparsers(dest="models_command", required=True)
    fetch_parser = sub.add_parser("fetch", help="下载模型（需要网络）并校验 sha256")
    fetch_parser.add_argument(
        "model", choices=sorted(MODELS), help="vosk-cn: vosk-model-small-cn-0.22 (42 MB)"
    )
    fetch_parser.add_argument("--dest", default=str(PROJECT_ROOT / "models"), help="解压到的目录")
    fetch_parser.add_argument("--sha256", default=None, help="压缩包的 sha256（发布方未公布，必须提供）")
    fetch_parser.add_argument("--url", default=None, help="镜像地址（默认官方地址）")
    fetch_parser.set_defaults(handler=_fetch_command)
