"""PAdES B-B signatures made through KMS: valid and trusted under the demo root, tamper-evident, small."""
from __future__ import annotations

import asyncio
import hashlib
import io
import os
import re
import subprocess
from datetime import datetime, timedelta, timezone

import boto3
import pytest
from asn1crypto import pem
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from pypdf import PdfReader

from esurety import aws, fees, signing
from esurety.documents import load_issuer
from esurety.documents.certificate import render_certificate
from esurety.documents.fee_statement import render_fee_statement
from esurety.documents.notice import render_notice
from system_tools import need
from test_documents import AUTH_KEY, CASES, MAX_BYTES, make_certificate, pdf_text
from tools import signing_certificate


@pytest.fixture(scope="module")
def unsigned() -> dict[str, bytes]:
    certificate = make_certificate("advance_payment", None)
    return {
        "certificate": render_certificate(certificate),
        "notice": render_notice(certificate, AUTH_KEY),
        "fee statement": render_fee_statement(certificate, fees.quote_for(certificate), load_issuer()),
    }


def validate(pdf: bytes, root_pem: str):
    """pyHanko's verdict on the one signature, trusting only `root_pem`, fetching nothing."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    root = asn1_x509.Certificate.load(pem.unarmor(root_pem.encode("ascii"))[2])
    reader = PdfFileReader(io.BytesIO(pdf))
    assert len(reader.embedded_signatures) == 1
    context = ValidationContext(trust_roots=[root], allow_fetching=False)
    return validate_pdf_signature(reader.embedded_signatures[0], context), reader.embedded_signatures[0]


def content_stream_offset(pdf: bytes) -> int:
    """An offset inside the (compressed) content stream of the first page."""
    page = PdfReader(io.BytesIO(pdf)).pages[0]
    contents = page.get("/Contents")
    number = contents.idnum if hasattr(contents, "idnum") else contents[0].idnum
    start = re.search(rb"(?m)^%d 0 obj" % number, pdf).end()
    stream = pdf.index(b"stream", start) + len(b"stream\r\n")
    return stream + 40


def metadata_offset(pdf: bytes) -> int:
    """The first letter of the creator in the document information dictionary."""
    return pdf.index(b"/Creator (esurety)") + len(b"/Creator (")


def flip(pdf: bytes, offset: int) -> bytes:
    data = bytearray(pdf)
    data[offset] ^= 0x01
    return bytes(data)


def signed_range_end(pdf: bytes) -> int:
    """Where the first signed byte range ends (the /Contents hex string starts)."""
    match = re.search(rb"/ByteRange \[\s*0 (\d+) (\d+) (\d+)\s*\]", pdf)
    return int(match.group(1))


# --------------------------------------------------------------------------- valid, trusted, B-B


@pytest.mark.parametrize("document", ["certificate", "notice", "fee statement"])
def test_signature_is_intact_valid_trusted_and_covers_the_whole_file(cloud, trust_root, unsigned, document):
    from pyhanko.sign.validation.status import SignatureCoverageLevel as Coverage

    signed = signing.sign_pdf(unsigned[document])
    status, _ = validate(signed, trust_root)
    assert status.intact and status.valid and status.trusted
    assert status.coverage == Coverage.ENTIRE_FILE
    assert status.bottom_line
    assert status.md_algorithm == "sha256"
    assert status.pkcs7_signature_mechanism == "sha256_ecdsa"


def test_signature_is_pades_baseline_b(cloud, unsigned):
    signed = signing.sign_pdf(unsigned["certificate"])
    from pyhanko.pdf_utils.reader import PdfFileReader

    embedded = PdfFileReader(io.BytesIO(signed)).embedded_signatures[0]
    assert embedded.field_name == signing.FIELD_NAME
    assert embedded.sig_object["/SubFilter"] == "/ETSI.CAdES.detached"
    assert embedded.sig_object["/Filter"] == "/Adobe.PPKLite"
    assert "/M" in embedded.sig_object  # PAdES: the claimed signing time is in the dictionary...
    signed_attrs = {attr["type"].native for attr in embedded.signer_info["signed_attrs"]}
    assert {"content_type", "message_digest", "signing_certificate_v2"} <= signed_attrs
    assert "signing_time" not in signed_attrs  # ...and not in the CMS
    assert not embedded.signer_info["unsigned_attrs"].native  # B-B: no signature timestamp
    certificates = [choice.chosen for choice in embedded.signed_data["certificates"]]
    assert [c.self_signed for c in certificates] == ["no"]  # only the signer's, not the root
    # Invisible: a widget with an empty rectangle on the page.
    assert [float(v) for v in embedded.sig_field["/Rect"]] == [0, 0, 0, 0]


def test_signed_pdf_reads_as_before(cloud, unsigned):
    signed = signing.sign_pdf(unsigned["certificate"])
    assert signed.startswith(unsigned["certificate"])  # an incremental update: the original bytes untouched
    assert pdf_text(signed) == pdf_text(unsigned["certificate"])


def test_certificate_public_key_is_the_kms_key(cloud, signing_key_id, unsigned):
    signed = signing.sign_pdf(unsigned["notice"])
    from pyhanko.pdf_utils.reader import PdfFileReader

    embedded = PdfFileReader(io.BytesIO(signed)).embedded_signatures[0]
    kms_public_key = boto3.client("kms").get_public_key(KeyId=signing_key_id)["PublicKey"]
    assert embedded.signer_cert.public_key.dump() == kms_public_key
    assert signing.certificate_chain()[0].public_key.dump() == kms_public_key


def test_an_rsa_key_works_too(cloud, trust_root, unsigned, monkeypatch):
    kms = boto3.client("kms")
    rsa_key = kms.create_key(KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
    parameter = os.environ[signing.CERTIFICATE_ENV_VAR]
    root_pem = signing_certificate.store_demo_certificate(kms, boto3.client("ssm"), rsa_key, parameter)
    monkeypatch.setenv(signing.KEY_ENV_VAR, rsa_key)
    signing.forget()
    status, _ = validate(signing.sign_pdf(unsigned["certificate"]), root_pem)
    assert status.bottom_line and status.trusted
    assert status.pkcs7_signature_mechanism == "sha256_rsa"


# --------------------------------------------------------------------------- the fast paths


def _pyhanko_view(signed: bytes) -> dict:
    """What the signature's incremental update put in the file, as pyHanko reads it."""
    from pyhanko.pdf_utils.reader import PdfFileReader

    reader = PdfFileReader(io.BytesIO(signed))
    embedded = reader.embedded_signatures[0]
    root = reader.root
    field = embedded.sig_field
    page = reader.root["/Pages"]["/Kids"][0].get_object()
    return {
        "version": root.get("/Version"),
        "extensions": {k: dict(v) for k, v in root["/Extensions"].items()},
        "sig_flags": root["/AcroForm"]["/SigFlags"],
        "fields": len(root["/AcroForm"]["/Fields"]),
        "field": {k: field[k] for k in ("/FT", "/T", "/Type", "/Subtype", "/F")},
        "rect": [float(v) for v in field["/Rect"]],
        "widget_on_page": [a.get_object()["/T"] for a in page["/Annots"]],
        "signature": {k: embedded.sig_object[k] for k in ("/Type", "/Filter", "/SubFilter", "/Reason")},
        "signature_keys": sorted(embedded.sig_object.keys()),
        "info": reader.trailer.raw_get("/Info"),  # as rendered: neither update rewrites it
    }


def _xref_offsets_point_at_their_objects(signed: bytes) -> None:
    """Every entry of the update's cross-reference section points at `N 0 obj`."""
    start = int(re.search(rb"startxref\s+(\d+)\s+%%EOF\s*$", signed).group(1))
    section = signed[start:signed.index(b"trailer", start)].split()[1:]
    i = 0
    while i < len(section):
        first, count = int(section[i]), int(section[i + 1])
        for k in range(count):
            offset, _, kind = section[i + 2 + 3 * k:i + 5 + 3 * k]
            if kind == b"n":
                assert signed.startswith(b"%d 0 obj" % (first + k), int(offset)), (first + k, offset)
        i += 2 + 3 * count


@pytest.mark.parametrize("document", ["certificate", "notice", "fee statement"])
def test_documents_get_the_direct_update_with_the_entries_pyhanko_writes(cloud, trust_root, unsigned, document):
    """reportlab's files take the fast path; the result reads as pyHanko's own update would."""
    pdf = unsigned[document]
    assert signing._SignatureUpdate.prepare(pdf, signing.REASON, 64) is not None
    direct = signing.sign_pdf(pdf)
    through_pyhanko = signing._sign_with_pyhanko(pdf, signing.REASON, signing._signer())
    assert direct.startswith(pdf) and through_pyhanko.startswith(pdf)
    _xref_offsets_point_at_their_objects(direct)
    for signed in (direct, through_pyhanko):
        status, _ = validate(signed, trust_root)
        assert status.bottom_line and status.trusted
    view = _pyhanko_view(direct)
    assert view == _pyhanko_view(through_pyhanko)
    assert view["version"] == "/1.7" and "/ESIC" in view["extensions"]
    assert view["field"]["/T"] == signing.FIELD_NAME and view["widget_on_page"] == [signing.FIELD_NAME]
    assert view["signature"]["/Reason"] == signing.REASON
    assert len(direct) <= len(through_pyhanko)


def _with_a_link(_pdf: bytes) -> bytes:
    from reportlab.pdfgen.canvas import Canvas

    buffer = io.BytesIO()
    c = Canvas(buffer, invariant=1)
    c.drawString(72, 720, "link")
    c.linkURL("https://surety.example/", (72, 710, 200, 730))  # the page has /Annots already
    c.showPage()
    c.save()
    return buffer.getvalue()


def _updated_once(pdf: bytes) -> bytes:
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    writer.root["/PageMode"] = writer.root["/PageMode"]  # any change: a second revision
    writer.update_root()
    output = io.BytesIO()
    writer.write(output)
    return output.getvalue()


@pytest.mark.parametrize("make", [_with_a_link, _updated_once], ids=["page-with-annotations", "two-revisions"])
def test_other_files_are_signed_through_pyhanko(cloud, trust_root, unsigned, make):
    from pyhanko.sign.validation.status import SignatureCoverageLevel as Coverage

    pdf = make(unsigned["certificate"])
    assert signing._SignatureUpdate.prepare(pdf, signing.REASON, 64) is None
    signed = signing.sign_pdf(pdf)
    assert signed.startswith(pdf)
    status, _ = validate(signed, trust_root)
    assert status.intact and status.valid and status.trusted
    assert status.coverage == Coverage.ENTIRE_FILE


def test_the_cms_container_is_the_one_pyhanko_builds(cloud):
    """The per-process template gives pyHanko's bytes for the same digest and signature."""
    from asn1crypto import cms
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.serialization import load_der_public_key
    from datetime import datetime, timezone
    from pyhanko.sign.signers.pdf_cms import PdfCMSSignedAttributes

    signer = signing._signer()
    digest = hashlib.sha256(b"some document").digest()
    theirs = asyncio.run(signer.async_sign(
        digest, "sha256", use_pades=True,
        signed_attr_settings=PdfCMSSignedAttributes(signing_time=datetime.now(timezone.utc)),
    )).dump()  # one real KMS signature, through pyHanko's asn1crypto code
    their_info = cms.ContentInfo.load(theirs)["content"]["signer_infos"][0]
    template = signer._template
    assert template.container(template.signed_attributes(digest), their_info["signature"].native) == theirs

    ours = signer.sign_digest(digest)  # a fresh (randomised) ECDSA signature: same attributes
    our_info = cms.ContentInfo.load(ours)["content"]["signer_infos"][0]
    assert our_info["signed_attrs"].dump() == their_info["signed_attrs"].dump()
    public_key = load_der_public_key(signer.signing_cert.public_key.dump())
    public_key.verify(our_info["signature"].native, template.signed_attributes(digest), ec.ECDSA(hashes.SHA256()))
    assert len(ours) * 2 <= signer.bytes_reserved


# --------------------------------------------------------------------------- tampering


@pytest.mark.parametrize("where", [content_stream_offset, metadata_offset], ids=["page-content", "info-dict"])
def test_one_changed_byte_breaks_the_signature(cloud, trust_root, unsigned, where):
    signed = signing.sign_pdf(unsigned["certificate"])
    offset = where(signed)
    assert offset < signed_range_end(signed)
    status, _ = validate(flip(signed, offset), trust_root)
    assert not status.intact
    assert not status.bottom_line


def test_another_root_is_not_trusted(cloud, unsigned):
    other_root, _ = signing_certificate.issue_demo_certificate(boto3.client("kms"), os.environ["SIGNING_KEY_ID"])
    status, _ = validate(signing.sign_pdf(unsigned["notice"]), other_root)
    assert status.intact and status.valid
    assert not status.trusted


def _pdfsig(path) -> str:
    need("pdfsig")
    result = subprocess.run(["pdfsig", str(path)], capture_output=True, text=True)
    return result.stdout + result.stderr


@pytest.mark.parametrize("document", ["certificate", "notice", "fee statement"])
def test_pdfsig_finds_the_signature_valid_and_the_tampered_one_not(cloud, unsigned, tmp_path, document):
    signed = signing.sign_pdf(unsigned[document])
    good = tmp_path / "signed.pdf"
    good.write_bytes(signed)
    report = _pdfsig(good)
    assert "Signature Validation: Signature is Valid." in report, report
    assert "Total document signed" in report, report
    assert "ETSI.CAdES.detached" in report, report

    bad = tmp_path / "tampered.pdf"
    bad.write_bytes(flip(signed, content_stream_offset(signed)))
    report = _pdfsig(bad)
    assert "Signature is Valid" not in report, report


# --------------------------------------------------------------------------- size


@pytest.mark.parametrize("product,change", CASES)
def test_signed_pdfs_stay_under_40_kib(cloud, product, change):
    certificate = make_certificate(product, change)
    for pdf in (render_certificate(certificate), render_notice(certificate, AUTH_KEY)):
        signed = signing.sign_pdf(pdf)
        assert len(signed) <= MAX_BYTES, (len(pdf), len(signed))


# --------------------------------------------------------------------------- configuration


@pytest.mark.parametrize("variable", [signing.KEY_ENV_VAR, signing.CERTIFICATE_ENV_VAR])
def test_signing_without_configuration_raises(cloud, unsigned, monkeypatch, variable):
    monkeypatch.delenv(variable)
    signing.forget()
    assert not signing.configured()
    message = "signing is not configured: set SIGNING_KEY_ID and SIGNING_CERTIFICATE_PARAMETER"
    with pytest.raises(RuntimeError, match=message):
        signing.sign_pdf(unsigned["certificate"])


def test_missing_certificate_parameter_raises(cloud, unsigned):
    boto3.client("ssm").delete_parameter(Name=os.environ[signing.CERTIFICATE_ENV_VAR])
    with pytest.raises(RuntimeError, match="signing certificate parameter .* could not be read"):
        signing.sign_pdf(unsigned["certificate"])


def test_a_certificate_for_another_key_is_refused(cloud, unsigned):
    kms = boto3.client("kms")
    other = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
    signing_certificate.store_demo_certificate(kms, boto3.client("ssm"), other, os.environ[signing.CERTIFICATE_ENV_VAR])
    with pytest.raises(RuntimeError, match="does not belong to KMS key"):
        signing.sign_pdf(unsigned["certificate"])


def test_one_raw_kms_sign_per_document_and_the_parameter_read_once(cloud, unsigned):
    calls = []
    record = lambda params, **_: calls.append(dict(params))  # noqa: E731
    aws.client("kms").meta.events.register("provide-client-params.kms.Sign", record)
    signing.sign_pdf(unsigned["certificate"])
    # Cached for the life of the process: the parameter is not read again.
    boto3.client("ssm").delete_parameter(Name=os.environ[signing.CERTIFICATE_ENV_VAR])
    signing.sign_pdf(unsigned["notice"])
    assert len(calls) == 2
    assert all(call["MessageType"] == "RAW" and call["SigningAlgorithm"] == "ECDSA_SHA_256" for call in calls)
    assert all(call["KeyId"] == os.environ[signing.KEY_ENV_VAR] for call in calls)


# --------------------------------------------------------------------------- the demo certificate tool


def test_demo_certificate_is_a_signing_certificate_under_a_demo_root(cloud, signing_key_id):
    root_pem, signing_pem = signing_certificate.issue_demo_certificate(boto3.client("kms"), signing_key_id)
    root = x509.load_pem_x509_certificate(root_pem.encode())
    leaf = x509.load_pem_x509_certificate(signing_pem.encode())

    assert root.subject == root.issuer and "demo" in root.subject.rfc4514_string()
    assert root.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    leaf.verify_directly_issued_by(root)
    common_name = leaf.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)[0].value
    assert common_name == signing_certificate.DEFAULT_SUBJECT_CN
    assert not leaf.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    usage = leaf.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.digital_signature and usage.content_commitment and not usage.key_cert_sign
    lifetime = leaf.not_valid_after_utc - leaf.not_valid_before_utc
    assert timedelta(days=2 * 365) < lifetime < timedelta(days=5 * 365)
    assert leaf.not_valid_before_utc <= datetime.now(timezone.utc) <= leaf.not_valid_after_utc
    public_der = leaf.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    assert public_der == boto3.client("kms").get_public_key(KeyId=signing_key_id)["PublicKey"]


def test_cli_stores_the_certificate_and_writes_the_root(cloud, signing_key_id, tmp_path, unsigned):
    parameter = os.environ[signing.CERTIFICATE_ENV_VAR]
    root_file = tmp_path / "root.pem"
    argv = ["--key-id", signing_key_id, "--parameter", parameter, "--root-out", str(root_file)]
    assert signing_certificate.main(argv) == 0
    stored = boto3.client("ssm").get_parameter(Name=parameter)["Parameter"]["Value"]
    assert stored.startswith("-----BEGIN CERTIFICATE-----") and stored.count("BEGIN CERTIFICATE") == 1
    signing.forget()
    status, _ = validate(signing.sign_pdf(unsigned["notice"]), root_file.read_text())
    assert status.bottom_line

    # --if-absent leaves an existing certificate alone.
    assert signing_certificate.main(argv[:4] + ["--root-out", str(tmp_path / "again.pem"), "--if-absent"]) == 0
    assert not (tmp_path / "again.pem").exists()
    assert boto3.client("ssm").get_parameter(Name=parameter)["Parameter"]["Value"] == stored
