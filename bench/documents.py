"""Render and sign times and sizes of the documents of one certificate version, next to a bare reportlab page.

    .venv/bin/python bench/documents.py [--runs 50] [--moto]

For the sample advance-payment certificate (version 1) it renders the certificate (保証証書), the
auth-key notice (「認証キー」のお知らせ, with its QR code) and the fee statement (保証料計算書), and
for each a *bare page*: the same strings (the text extracted from that document) drawn with
`drawString` in the same embedded font on one page, without tables, paragraphs or graphics. The
bare page is what any PDF carrying that text costs (mostly the font subset); the ratios show what
the layout (and the signature) add.

Every figure is a median over `--runs` warm iterations in this process (at least 30), after
warm-up iterations (fonts registered, modules imported, signer built). Each iteration renders the
document, signs that very PDF and renders the bare page, the bare page first on every other
iteration, so that all three see the same machine load. `render+sign` is the median of the
per-iteration sums; the product owner's target is `render+sign / bare` ≤ 2 for the certificate
and the notice, each signed PDF ≤ 40,960 bytes.

The notice is measured twice: with its QR code's encoding cached (a re-render of the same notice,
e.g. a retried publication) and with the cache cleared before each render (a first render, as
for every new contract and key).

Signing (`esurety.aws.signing.sign_pdf`, PAdES through AWS KMS) is added when it is importable and
configured (SIGNING_KEY_ID and SIGNING_CERTIFICATE_PARAMETER with AWS credentials), or with
`--moto`: an in-process moto account with an ECC_NIST_P256 signing key and a demo certificate,
made as tests/conftest.py makes them. Under moto, `sign` is pyHanko's signing (PAdES B-B: no
TSA is configured here) plus the KMS call made in-process (botocore and moto, ~0.8 ms), not a
real KMS round trip (add ~10-30 ms per signature on AWS; bench/issue_to_published.py adds 20 ms).

Prints a table and the verdict on the target, then the same as one JSON line.
"""
from __future__ import annotations

import argparse
import io
import json
import os
import platform
import statistics
import sys
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _timed(render: Callable[[], object]) -> float:
    start = time.perf_counter()
    render()
    return time.perf_counter() - start


def measure(
    render: Callable[[], bytes],
    bare: Callable[[], object],
    sign: Callable[[bytes], bytes] | None,
    runs: int,
    before: Callable[[], None] | None,
) -> dict[str, float]:
    """Medians in ms of render, sign (of that render's PDF), their sum, and the bare page."""
    times: dict[str, list[float]] = {"render": [], "sign": [], "render+sign": [], "bare": []}
    for i in range(runs):
        if i % 2:
            times["bare"].append(_timed(bare))
        if before:
            before()
        start = time.perf_counter()
        pdf = render()
        rendered = time.perf_counter()
        if sign is not None:
            sign(pdf)
        signed = time.perf_counter()
        if not i % 2:
            times["bare"].append(_timed(bare))
        times["render"].append(rendered - start)
        times["sign"].append(signed - rendered)
        times["render+sign"].append(signed - start)
    return {name: statistics.median(values) * 1000 for name, values in times.items()}


def page_text(pdf: bytes) -> list[str]:
    from pypdf import PdfReader

    text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    return [line for line in text.splitlines() if line.strip()]


def bare_page(lines: list[str], face: str) -> bytes:
    """The same strings on one A4 page: drawString only, same font, compressed, invariant."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen.canvas import Canvas

    buffer = io.BytesIO()
    c = Canvas(buffer, pagesize=A4, invariant=1, pageCompression=1, initialFontName=face)
    size = 9
    leading = min(13.0, (A4[1] - 80) / max(len(lines), 1))
    c.setFont(face, size)
    y = A4[1] - 40
    for line in lines:
        c.drawString(40, y, line)
        y -= leading
    c.showPage()
    c.save()
    return buffer.getvalue()


def moto_signing(stack: ExitStack) -> None:
    """An in-process AWS account with a signing key and a demo certificate, as in tests/conftest.py."""
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    os.environ.setdefault("AWS_DEFAULT_REGION", "ap-northeast-1")
    os.environ.setdefault("AWS_REGION", os.environ["AWS_DEFAULT_REGION"])
    os.environ.pop("AWS_ENDPOINT_URL", None)
    os.environ.pop("AWS_PROFILE", None)
    import boto3
    from moto import mock_aws

    from esurety import aws
    from esurety.aws import signing
    from tools.signing_certificate import store_demo_certificate

    stack.enter_context(mock_aws())
    aws.client.cache_clear()  # no client made outside the mock
    signing.forget()
    stack.callback(signing.forget)
    stack.callback(aws.client.cache_clear)
    kms = boto3.client("kms")
    key_id = kms.create_key(Description="esurety bench signing", KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")[
        "KeyMetadata"
    ]["KeyId"]
    parameter = "/esurety/bench/signing-certificate"
    store_demo_certificate(kms, boto3.client("ssm"), key_id, parameter)
    os.environ["SIGNING_KEY_ID"] = key_id
    os.environ["SIGNING_CERTIFICATE_PARAMETER"] = parameter


def find_signer(use_moto: bool, stack: ExitStack) -> tuple[Callable[[bytes], bytes] | None, str]:
    try:
        from esurety.aws import signing
    except ImportError as error:
        return None, f"signing skipped: esurety.aws.signing is not importable ({error})"
    if use_moto:
        moto_signing(stack)
        where = "moto (in-process KMS)"
    elif getattr(signing, "configured", lambda: True)():
        where = f"KMS key {os.environ.get('SIGNING_KEY_ID')}"
    else:
        return None, "signing skipped: not configured (set SIGNING_KEY_ID and SIGNING_CERTIFICATE_PARAMETER, or pass --moto)"
    def sign(pdf: bytes) -> bytes:  # the stack's key (the default issuer's), as configured above
        return signing.sign_pdf(pdf, issuer=None)

    try:
        sign(_probe_pdf())  # fails early, with the reason, if the setup is wrong
    except Exception as error:  # noqa: BLE001 - report why, measure the rest
        return None, f"signing skipped: sign_pdf failed ({type(error).__name__}: {error})"
    return sign, f"signing with {where}"


def _probe_pdf() -> bytes:
    from reportlab.pdfgen.canvas import Canvas

    buffer = io.BytesIO()
    c = Canvas(buffer, invariant=1)
    c.showPage()
    c.save()
    return buffer.getvalue()


MAX_SIGNED_BYTES = 40_960  # the product owner's limit per signed PDF
MAX_RATIO = 2.0  # render+sign, at most twice the bare page
TARGETS = ("certificate", "notice")  # the documents of one version the target is about


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=50, help="warm iterations per document (at least 30)")
    parser.add_argument("--moto", action="store_true", help="sign inside an in-process moto account")
    args = parser.parse_args(argv)
    if args.runs < 30:
        parser.error("--runs must be at least 30")

    from esurety.domain.catalogue import fees
    from esurety.documents.certificate import render_certificate
    from esurety.documents.fee_statement import render_fee_statement
    from esurety.documents.notice import render_notice
    from esurety.fonts import GOTHIC, MINCHO, ensure_fonts
    from tools.update_reference_images import AUTH_KEY, packaged_issuer, sample_certificate

    t0 = time.perf_counter()
    ensure_fonts()
    font_ms = (time.perf_counter() - t0) * 1000

    issuer = packaged_issuer()
    certificate = sample_certificate("advance_payment")
    quote = fees.quote_for(certificate, fees.packaged_fee_table())
    documents = {
        "certificate": (lambda: render_certificate(certificate, issuer), MINCHO, None),
        "notice": (lambda: render_notice(certificate, AUTH_KEY, issuer), GOTHIC, None),
        "fee statement": (lambda: render_fee_statement(certificate, quote, issuer), GOTHIC, None),
    }

    with ExitStack() as stack:
        sign, signing_note = find_signer(args.moto, stack)
        rows: dict[str, dict] = {}
        for name, (render, face, before) in documents.items():
            pdf = render()
            lines = page_text(pdf)
            bare = lambda lines=lines, face=face: bare_page(lines, face)  # noqa: E731
            for _ in range(5):  # warm-up
                signed = sign(render()) if sign is not None else render()
                bare()
            ms = measure(render, bare, sign, args.runs, before)
            row = {
                "bare_ms": round(ms["bare"], 2),
                "render_ms": round(ms["render"], 2),
                "render_ratio": round(ms["render"] / ms["bare"], 2),
                "bytes": len(pdf),
                "bare_bytes": len(bare()),
            }
            if sign is not None:
                row.update(
                    sign_ms=round(ms["sign"], 2),
                    render_sign_ms=round(ms["render+sign"], 2),
                    ratio=round(ms["render+sign"] / ms["bare"], 2),
                    signed_bytes=len(signed),
                )
            rows[name] = row

    print(f"python {platform.python_version()}, {platform.machine()}; median of {args.runs} warm runs each; "
          f"first font load {font_ms:.0f} ms")
    print(signing_note)
    header = f"{'document':<20} {'bare ms':>8} {'render ms':>9} {'render/bare':>11}"
    if sign is not None:
        header += f" {'sign ms':>8} {'render+sign ms':>14} {'(r+s)/bare':>10} {'signed B':>9}"
    header += f" {'unsigned B':>10} {'bare B':>7}"
    print(header)
    print("-" * len(header))
    for name, row in rows.items():
        line = f"{name:<20} {row['bare_ms']:>8.2f} {row['render_ms']:>9.2f} {row['render_ratio']:>11.2f}"
        if sign is not None:
            line += (f" {row['sign_ms']:>8.2f} {row['render_sign_ms']:>14.2f} {row['ratio']:>10.2f}"
                     f" {row['signed_bytes']:>9,}")
        line += f" {row['bytes']:>10,} {row['bare_bytes']:>7,}"
        print(line)
    verdicts = {}
    if sign is not None:
        print(f"target: render+sign <= {MAX_RATIO:g} x bare, signed PDF <= {MAX_SIGNED_BYTES:,} bytes")
        for name in TARGETS:
            row = rows[name]
            ok = row["ratio"] <= MAX_RATIO and row["signed_bytes"] <= MAX_SIGNED_BYTES
            verdicts[name] = ok
            print(f"  {name:<12} {row['ratio']:.2f} x, {row['signed_bytes']:,} bytes: {'met' if ok else 'NOT met'}")
    print(json.dumps({
        "python": platform.python_version(),
        "runs": args.runs,
        "font_load_ms": round(font_ms, 1),
        "signing": signing_note,
        "documents": rows,
        "target_met": verdicts or None,
    }, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
