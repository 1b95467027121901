"""No secret in the repository: private keys, cloud and forge tokens, passwords in config files.

Scans every file git would commit (tracked, plus new files not ignored). ``.env.example`` and
docs may show placeholders; tests use obviously fake tokens, which the patterns here do not match.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from api.settings import PROJECT_ROOT

# Patterns that are a secret wherever they appear.
ALWAYS = {
    "private key": re.compile(
        r"-----BEGIN (?:RSA |EC |DSA |OPENSSH |ENCRYPTED |PGP )?PRIVATE KEY( BLOCK)?-----"
    ),
    "AWS access key": re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"),
    "GitHub token": re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{60,})\b"),
    "Slack token": re.compile(r"\bxox[baprs]-[A-Za-z0-9-]{10,}"),
    "OpenAI-style key": re.compile(r"\bsk-(?:proj-)?[A-Za-z0-9]{32,}"),
    "Google API key": re.compile(r"\bAIza[0-9A-Za-z_\-]{35}\b"),
}
# In configuration files: a secret-named key with a literal value, or a URL with a password.
CONFIG_SUFFIXES = {".env", ".yml", ".yaml", ".toml", ".ini", ".cfg", ".conf", ".json"}
ASSIGNED = re.compile(
    r"(?i)(?<![{$\w.-])[\w.-]*(?:password|passwd|secret|token|api[_-]?key|private[_-]?key)[\w.-]*\b\s*[:=]\s*"
    r"[\"']?(?P<value>[^\s\"'#,}]+)"
)
URL_PASSWORD = re.compile(r"\b[a-z][a-z0-9+.-]*://[^/\s:@]+:(?P<value>[^@\s/]+)@")
# Values that are not secrets: empty, placeholders, references to the environment.
PLACEHOLDER = re.compile(
    r"(?i)^(?:|\$.*|\.\.\.|…|<[^>]*>|\*+|x+|change[-_]?me.*|changeme.*|example.*|placeholder.*|"
    r"your[-_].*|dummy.*|test.*|fake.*|none|null|false|true|postgres|hotline|redis|password|secret|"
    r"\{\{.*\}\}|%\(.*\)s)$"
)
SKIP_SUFFIXES = {
    ".png",
    ".jpg",
    ".jpeg",
    ".gif",
    ".ico",
    ".wav",
    ".mp3",
    ".pdf",
    ".docx",
    ".xlsx",
    ".faiss",
    ".npy",
}


def _files() -> list[Path]:
    out = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=PROJECT_ROOT, capture_output=True, check=True,
    ).stdout.decode()  # fmt: skip
    paths = [PROJECT_ROOT / p for p in out.split("\0") if p]
    return [p for p in paths if p.is_file() and p.suffix.lower() not in SKIP_SUFFIXES]


def _is_config(path: Path) -> bool:
    return path.suffix.lower() in CONFIG_SUFFIXES or path.name.startswith(".env")


def _findings(path: Path, content: str) -> list[str]:
    rel = path.relative_to(PROJECT_ROOT)
    found = [f"{rel}: {name}" for name, pattern in ALWAYS.items() if pattern.search(content)]
    if _is_config(path):
        for number, line in enumerate(content.splitlines(), 1):
            if line.lstrip().startswith(("#", "//")):
                continue  # comments explain settings, they do not set them
            for pattern in (ASSIGNED, URL_PASSWORD):
                for match in pattern.finditer(line):
                    if not PLACEHOLDER.match(match.group("value")):
                        found.append(f"{rel}:{number}: {match.group(0)[:60]}")
    return found


def test_scanner_recognises_secrets() -> None:
    fake_key = "-----BEGIN " + "RSA PRIVATE KEY-----"
    assert _findings(PROJECT_ROOT / "x.pem", fake_key)
    assert _findings(PROJECT_ROOT / "a.yml", "db_password: hunter2hunter2")
    assert _findings(PROJECT_ROOT / "docker-compose.yml", "url: postgresql://app:s3cr3tPW@db/hotline")
    assert not _findings(PROJECT_ROOT / ".env.example", "HOTLINE_ADMIN_TOKEN=\nHOTLINE_AGENT_TOKEN=change-me")
    assert not _findings(PROJECT_ROOT / "a.yml", "password: ${DB_PASSWORD}")


def test_no_secret_in_the_repository() -> None:
    files = _files()
    assert len(files) > 50
    problems: list[str] = []
    for path in files:
        try:
            content = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        problems += _findings(path, content)
    assert not problems, "possible secrets:\n" + "\n".join(problems)
