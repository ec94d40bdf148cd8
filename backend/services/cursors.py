"""Opaque pagination cursors: the keyset position of the last row of a page."""

from __future__ import annotations

import base64
import binascii
import json


class CursorError(ValueError):
    """A pagination cursor that this API did not hand out."""


def encode_cursor(created_at: float, task_id: str) -> str:
    raw = json.dumps([created_at, task_id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[float, str]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        created_at, task_id = json.loads(base64.urlsafe_b64decode(padded.encode()))
        return float(created_at), str(task_id)
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError):
        raise CursorError(
            "the cursor is not one this API handed out; use next_cursor from the previous page"
        ) from None


def encode_cursor_id(value: int) -> str:
    return encode_cursor(float(value), "")


def decode_cursor_id(cursor: str) -> int:
    value, _ = decode_cursor(cursor)
    if value != int(value) or value < 0:
        raise CursorError("the cursor is not one this API handed out")
    return int(value)
