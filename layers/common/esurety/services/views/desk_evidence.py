"""証拠一式 of a guarantee on the desk: the signed 寄託記録 and the evidence ZIP around it.

The desk's evidence route reads the guarantee as the desk answers it (`GET /desk/guarantees/{number}`)
and every shown version's certificate PDF, then calls `evidence_file`; storing the ZIP and the link
to it stay the route's. The record is signed by the same path as every certificate
(`esurety.aws.signing.sign_pdf`: PAdES, B-T when a time-stamping authority is configured), so an
orderer's reader validates it as it validates them.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any, Iterable, Mapping

from ...aws import signing
from ...documents.deposit_record import render_deposit_record
from ...documents.evidence import evidence_zip
from ...domain.japanese import clock
from .. import issuers


def signed_deposit_record(guarantee: Mapping[str, Any], made_at: datetime | None = None) -> bytes:
    """The 寄託記録 of `guarantee` (the desk's answer for it), rendered at `made_at` (default now) and signed."""
    # The 寄託記録 is the platform's record of what the desk holds, printed with the guarantee's issuer
    # but not that issuer's document: it is signed with the stack's own key (the default issuer's
    # configuration, SIGNING_KEY_ID), whichever issuer's guarantee it lists.
    issuer = issuers.issuer_of(guarantee.get("issuer") or {})
    return signing.sign_pdf(render_deposit_record(guarantee, issuer, made_at=made_at or clock.now()), issuer=None)


def evidence_file(
    guarantee: Mapping[str, Any], certificate_pdfs: Iterable[tuple[str, bytes]], made_at: datetime | None = None
) -> bytes:
    """The evidence ZIP: `certificate_pdfs` ((`documents.evidence.certificate_filename(label)`, the
    stored signed PDF) per shown version) and the signed `寄託記録.pdf`, all dated `made_at`."""
    made_at = made_at or clock.now()
    return evidence_zip(guarantee, certificate_pdfs, signed_deposit_record(guarantee, made_at), made_at)
