"""The local cloud's sent mail, kept on disk.

ministack's SES keeps the messages it accepted in memory only (its persisted state has identities and
templates, not `sent_messages`), so a restart would empty `make mail`. Each message it reports is
therefore copied into a folder, one JSON file per MessageId, and read back from there.
"""
from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path

from esurety.domain.japanese.clock import JST


def _file(folder: Path, message: dict) -> Path:
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", str(message["MessageId"]))
    return folder / f"{safe}.json"


def save(messages: list[dict], folder: Path) -> int:
    """Write each message not saved yet; returns how many were new. Writing is idempotent."""
    new = 0
    for message in messages:
        if not message.get("MessageId"):
            continue
        path = _file(folder, message)
        if path.exists():
            continue
        folder.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".tmp")
        partial.write_text(json.dumps(message, ensure_ascii=False, indent=2), encoding="utf-8")
        partial.rename(path)  # a reader never sees half a message
        new += 1
    return new


def load(folder: Path) -> list[dict]:
    if not folder.is_dir():
        return []
    return [json.loads(path.read_text(encoding="utf-8")) for path in sorted(folder.glob("*.json"))]


def merge(saved: list[dict], live: list[dict]) -> list[dict]:
    """One entry per MessageId, oldest first."""
    by_id = {m.get("MessageId") or id(m): m for m in [*saved, *live]}
    return sorted(by_id.values(), key=lambda m: float(m.get("Timestamp") or 0))


def sent_at(message: dict) -> str:
    """When SES accepted it, in Japan Standard Time (the zone of every date the service shows)."""
    sent = message.get("Timestamp")
    if not sent:
        return "(time unknown)"
    return datetime.fromtimestamp(float(sent), JST).strftime("%Y-%m-%d %H:%M:%S JST")


def render(message: dict) -> str:
    return (
        f"--- {sent_at(message)}\nFrom: {message.get('Source')}\nTo: {', '.join(message.get('To') or [])}\n"
        f"Subject: {message.get('Subject')}\n\n{message.get('BodyText') or message.get('BodyHtml') or ''}"
    )
