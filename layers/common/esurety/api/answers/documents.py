"""Links to documents: every PDF is fetched through a short-lived presigned link."""
from __future__ import annotations

from pydantic import Field

from . import Answer


class DownloadLink(Answer):
    """A presigned GET of one PDF (certificate, notice, fee statement, 認定調書)."""

    url: str = Field(description="Presigned; works until it expires, for whoever holds it.")
    expires_in: int = Field(description="Seconds the link lives.")


class UploadForm(Answer):
    """A presigned POST for one 認定調書 PDF: post `fields` and then the file to `url`."""

    upload_id: str
    max_bytes: int
    url: str
    fields: dict[str, str]
    expires_in: int
