"""Render time and size of the documents of one certificate version, next to a bare reportlab page.

    .venv/bin/python bench/documents.py [--runs 30] [--moto]

For the sample advance-payment certificate (version 1) it renders the certificate (保証証書), the
auth-key notice (「認証キー」のお知らせ, with its QR code) and the fee statement (保証料計算書), and
for each a *bare page*: the same strings (the text extracted from that document) drawn with
`drawString` in the same embedded font on one page, without tables, paragraphs or graphics. The
bare page is what any PDF carrying that text costs (mostly the font subset); the ratio shows what
the layout adds. Every figure is the median of `--runs` warm renders in this process, after
warm-up renders (fonts registered, modules imported); a document and its bare page are rendered
alternately, so that both see the same machine load.

The notice is measured twice: with its QR code's encoding cached (a re-render of the same notice,
e.g. a retried publication) and with the cache cleared before each render (a first render, as
for every new key).

Signing (`esurety.signing.sign_pdf`, PAdES through AWS KMS) is added when it is importable and
configured (SIGNING_KEY_ID and SIGNING_CERTIFICATE_PARAMETER with AWS credentials), or with
`--moto`: an in-process moto account with an ECC_NIST_P256 signing key and a demo certificate,
made as tests/conftest.py makes them. Times under moto measure pyHanko and the local ECDSA
check, not a real KMS round trip (add ~10-30 ms per signature on AWS).

Prints a table, then the same as one JSON line.
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


def median_ms(render: Callable[[], object], runs: int) -> float:
    return statistics.median(_timed(render) for _ in range(runs)) * 1000


def paired_median_ms(
    render: Callable[[], object], bare: Callable[[], object], runs: int, before: Callable[[], None] | None
) -> tuple[float, float]:
    """Medians of `render` and `bare`, run alternately so that both see the same machine load."""
    document_times, bare_times = [], []
    for _ in range(runs):
        if before:
            before()
        document_times.append(_timed(render))
        bare_times.append(_timed(bare))
    return statistics.median(document_times) * 1000, statistics.median(bare_times) * 1000


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

    from esurety import aws, signing
    from tools.signing_certificate import store_demo_certificate

    stack.enter_context(mock_aws())
    aws.reset()
    signing.forget()
    stack.callback(signing.forget)
    stack.callback(aws.reset)
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
        from esurety import signing
    except ImportError as error:
        return None, f"signing skipped: esurety.signing is not importable ({error})"
    if use_moto:
        moto_signing(stack)
        where = "moto (in-process KMS)"
    elif getattr(signing, "configured", lambda: True)():
        where = f"KMS key {os.environ.get('SIGNING_KEY_ID')}"
    else:
        return None, "signing skipped: not configured (set SIGNING_KEY_ID and SIGNING_CERTIFICATE_PARAMETER, or pass --moto)"
    try:
        signing.sign_pdf(_probe_pdf())  # fails early, with the reason, if the setup is wrong
    except Exception as error:  # noqa: BLE001 - report why, measure the rest
        return None, f"signing skipped: sign_pdf failed ({type(error).__name__}: {error})"
    return signing.sign_pdf, f"signing with {where}"


def _probe_pdf() -> bytes:
    from reportlab.pdfgen.canvas import Canvas

    buffer = io.BytesIO()
    c = Canvas(buffer, invariant=1)
    c.showPage()
    c.save()
    return buffer.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--moto", action="store_true", help="sign inside an in-process moto account")
    args = parser.parse_args(argv)

    from esurety import fees
    from esurety.documents import notice as notice_module
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
        "notice, QR encoded": (
            lambda: render_notice(certificate, AUTH_KEY, issuer), GOTHIC, notice_module.qr_modules.cache_clear
        ),
        "fee statement": (lambda: render_fee_statement(certificate, quote, issuer), GOTHIC, None),
    }

    with ExitStack() as stack:
        sign, signing_note = find_signer(args.moto, stack)
        rows: dict[str, dict] = {}
        for name, (render, face, before) in documents.items():
            pdf = render()
            lines = page_text(pdf)
            bare = lambda lines=lines, face=face: bare_page(lines, face)  # noqa: E731
            for _ in range(3):  # warm-up
                render()
                bare()
            document_ms, bare_ms = paired_median_ms(render, bare, args.runs, before)
            row = {
                "render_ms": round(document_ms, 2),
                "bare_ms": round(bare_ms, 2),
                "ratio": round(document_ms / bare_ms, 2),
                "bytes": len(pdf),
                "bare_bytes": len(bare()),
            }
            if sign is not None:
                signed = sign(pdf)
                row["sign_ms"] = round(median_ms(lambda pdf=pdf: sign(pdf), max(5, args.runs // 3)), 2)
                row["signed_bytes"] = len(signed)
            rows[name] = row

    print(f"python {platform.python_version()}, {platform.machine()}; median of {args.runs} warm runs each; "
          f"first font load {font_ms:.0f} ms")
    print(signing_note)
    header = f"{'document':<20} {'render ms':>9} {'bare ms':>8} {'ratio':>6} {'size kB':>8} {'bare kB':>8}"
    if sign is not None:
        header += f" {'sign ms':>8} {'signed kB':>9}"
    print(header)
    print("-" * len(header))
    for name, row in rows.items():
        line = (f"{name:<20} {row['render_ms']:>9.1f} {row['bare_ms']:>8.1f} {row['ratio']:>6.2f} "
                f"{row['bytes'] / 1000:>8.1f} {row['bare_bytes'] / 1000:>8.1f}")
        if sign is not None:
            line += f" {row['sign_ms']:>8.1f} {row['signed_bytes'] / 1000:>9.1f}"
        print(line)
    print(json.dumps({
        "python": platform.python_version(),
        "runs": args.runs,
        "font_load_ms": round(font_ms, 1),
        "signing": signing_note,
        "documents": rows,
    }, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
