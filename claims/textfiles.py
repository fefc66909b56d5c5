"""Reading a text file an editor hands us: size, binary content and legacy encodings
(windows-1256 Arabic, latin-1) are handled here, before anything is stored."""

from __future__ import annotations

from pathlib import Path

from charset_normalizer import from_bytes

MAX_BYTES = 5 * 1024 * 1024


class TextFileError(ValueError):
    """A file we refuse; the message is one sentence."""


def decode_text(data: bytes, *, name: str = "the file") -> str:
    if len(data) > MAX_BYTES:
        raise TextFileError(f"{name} is larger than 5 MB.")
    if b"\x00" in data[:8192]:
        raise TextFileError(f"{name} is binary, not text.")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    # Not UTF-8: let charset-normalizer tell windows-1256 Arabic from latin-1 and the rest.
    best = from_bytes(data).best()
    if best is None or best.encoding is None:
        raise TextFileError(f"{name} is not text in an encoding we can read.")
    return str(best)


def read_text_file(path: Path) -> str:
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise TextFileError(f"{path}: no such file.") from None
    if not path.is_file():
        raise TextFileError(f"{path} is not a file.")
    if size > MAX_BYTES:
        raise TextFileError(f"{path} is larger than 5 MB.")
    return decode_text(path.read_bytes(), name=str(path))
