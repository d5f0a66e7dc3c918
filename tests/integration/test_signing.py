"""PAdES signatures made by pyHanko through KMS: valid and trusted under the demo root, tamper-evident,
small without a timestamp; with a time-stamping authority (B-T) and with validation data (B-LT)."""
from __future__ import annotations

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

from esurety import aws
from esurety.domain.catalogue import fees
from esurety.aws import signing
from esurety.documents import load_issuer
from esurety.documents.certificate import render_certificate
from esurety.documents.fee_statement import render_fee_statement
from esurety.documents.notice import render_notice
from esurety.domain.errors import IssuerSigningUnavailable
from system_tools import need
from support.documents import AUTH_KEY, CASES, MAX_BYTES, make_certificate, pdf_text
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

    signed = signing.sign_pdf(unsigned[document], issuer=load_issuer())
    status, _ = validate(signed, trust_root)
    assert status.intact and status.valid and status.trusted
    assert status.coverage == Coverage.ENTIRE_FILE
    assert status.bottom_line
    assert status.md_algorithm == "sha256"
    assert status.pkcs7_signature_mechanism == "sha256_ecdsa"


def test_signature_is_pades_baseline_b(cloud, unsigned):
    assert signing.level() == "B-B"
    signed = signing.sign_pdf(unsigned["certificate"], issuer=load_issuer())
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
    signed = signing.sign_pdf(unsigned["certificate"], issuer=load_issuer())
    assert signed.startswith(unsigned["certificate"])  # an incremental update: the original bytes untouched
    assert pdf_text(signed) == pdf_text(unsigned["certificate"])


def test_certificate_public_key_is_the_kms_key(cloud, signing_key_id, unsigned):
    signed = signing.sign_pdf(unsigned["notice"], issuer=load_issuer())
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
    status, _ = validate(signing.sign_pdf(unsigned["certificate"], issuer=load_issuer()), root_pem)
    assert status.bottom_line and status.trusted
    assert status.pkcs7_signature_mechanism == "sha256_rsa"


# --------------------------------------------------------------------------- other PDFs


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
def test_other_pdfs_are_signed_too(cloud, trust_root, unsigned, make):
    from pyhanko.sign.validation.status import SignatureCoverageLevel as Coverage

    pdf = make(unsigned["certificate"])
    signed = signing.sign_pdf(pdf, issuer=load_issuer())
    assert signed.startswith(pdf)
    status, _ = validate(signed, trust_root)
    assert status.intact and status.valid and status.trusted
    assert status.coverage == Coverage.ENTIRE_FILE


# --------------------------------------------------------------------------- tampering


@pytest.mark.parametrize("where", [content_stream_offset, metadata_offset], ids=["page-content", "info-dict"])
def test_one_changed_byte_breaks_the_signature(cloud, trust_root, unsigned, where):
    signed = signing.sign_pdf(unsigned["certificate"], issuer=load_issuer())
    offset = where(signed)
    assert offset < signed_range_end(signed)
    status, _ = validate(flip(signed, offset), trust_root)
    assert not status.intact
    assert not status.bottom_line


def test_another_root_is_not_trusted(cloud, unsigned):
    other_root, _ = signing_certificate.issue_demo_certificate(boto3.client("kms"), os.environ["SIGNING_KEY_ID"])
    status, _ = validate(signing.sign_pdf(unsigned["notice"], issuer=load_issuer()), other_root)
    assert status.intact and status.valid
    assert not status.trusted


def _pdfsig(path) -> str:
    need("pdfsig")
    result = subprocess.run(["pdfsig", str(path)], capture_output=True, text=True)
    return result.stdout + result.stderr


@pytest.mark.parametrize("document", ["certificate", "notice", "fee statement"])
def test_pdfsig_finds_the_signature_valid_and_the_tampered_one_not(cloud, unsigned, tmp_path, document):
    signed = signing.sign_pdf(unsigned[document], issuer=load_issuer())
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
def test_signed_pdfs_stay_under_40_kib_without_a_timestamp(cloud, product, change):
    assert signing.level() == "B-B"
    certificate = make_certificate(product, change)
    for pdf in (render_certificate(certificate), render_notice(certificate, AUTH_KEY)):
        signed = signing.sign_pdf(pdf, issuer=load_issuer())
        assert len(signed) <= MAX_BYTES, (len(pdf), len(signed))


# --------------------------------------------------------------------------- configuration


@pytest.mark.parametrize("variable", [signing.KEY_ENV_VAR, signing.CERTIFICATE_ENV_VAR])
def test_signing_without_configuration_raises(cloud, unsigned, monkeypatch, variable):
    monkeypatch.delenv(variable)
    signing.forget()
    assert not signing.configured()
    message = "signing is not configured: set SIGNING_KEY_ID and SIGNING_CERTIFICATE_PARAMETER"
    with pytest.raises(RuntimeError, match=message):
        signing.sign_pdf(unsigned["certificate"], issuer=load_issuer())


def test_missing_certificate_parameter_raises(cloud, unsigned):
    boto3.client("ssm").delete_parameter(Name=os.environ[signing.CERTIFICATE_ENV_VAR])
    with pytest.raises(IssuerSigningUnavailable, match="signing certificate parameter .* could not be read"):
        signing.sign_pdf(unsigned["certificate"], issuer=load_issuer())


def test_a_certificate_for_another_key_is_refused(cloud, unsigned):
    kms = boto3.client("kms")
    other = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
    signing_certificate.store_demo_certificate(kms, boto3.client("ssm"), other, os.environ[signing.CERTIFICATE_ENV_VAR])
    with pytest.raises(IssuerSigningUnavailable, match="does not belong to KMS key"):
        signing.sign_pdf(unsigned["certificate"], issuer=load_issuer())


def test_one_raw_kms_sign_per_document_and_the_parameter_read_once(cloud, unsigned):
    calls = []
    record = lambda params, **_: calls.append(dict(params))  # noqa: E731
    aws.client("kms").meta.events.register("provide-client-params.kms.Sign", record)
    signing.sign_pdf(unsigned["certificate"], issuer=load_issuer())
    # Cached for the life of the process: the parameter is not read again.
    boto3.client("ssm").delete_parameter(Name=os.environ[signing.CERTIFICATE_ENV_VAR])
    signing.sign_pdf(unsigned["notice"], issuer=load_issuer())
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
    status, _ = validate(signing.sign_pdf(unsigned["notice"], issuer=load_issuer()), root_file.read_text())
    assert status.bottom_line

    # --if-absent leaves an existing certificate alone.
    assert signing_certificate.main(argv[:4] + ["--root-out", str(tmp_path / "again.pem"), "--if-absent"]) == 0
    assert not (tmp_path / "again.pem").exists()
    assert boto3.client("ssm").get_parameter(Name=parameter)["Parameter"]["Value"] == stored


# --------------------------------------------------------------------------- B-T and B-LT: a test PKI with a TSA


@pytest.fixture
def pki(cloud, signing_key_id, tmp_path, monkeypatch):
    """certomancer's PKI on 127.0.0.1: a TSA, CRLs, and a signing certificate for the KMS key under it."""
    from tools.demo_pki import DemoPki

    public_key = boto3.client("kms").get_public_key(KeyId=signing_key_id)["PublicKey"]
    pki = DemoPki(tmp_path / "pki", signer_public_key=public_key).start()
    monkeypatch.setenv(signing.TIMESTAMP_ENV_VAR, pki.tsa_url)
    pki.use = lambda with_root: _use_chain(pki.signing_chain(with_root))
    pki.use(with_root=False)
    yield pki
    pki.stop()


def _use_chain(chain: str) -> None:
    boto3.client("ssm").put_parameter(
        Name=os.environ[signing.CERTIFICATE_ENV_VAR], Value=chain, Type="String", Overwrite=True
    )
    signing.forget()
    from aws_lambda_powertools.utilities.parameters.base import clear_caches

    clear_caches()


def _validate_with_timestamp(pdf: bytes, pki):
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    embedded = PdfFileReader(io.BytesIO(pdf)).embedded_signatures[0]
    context = ValidationContext(trust_roots=[pki.arch.get_cert("root")], allow_fetching=False)
    return validate_pdf_signature(embedded, context, ts_validation_context=context), embedded


@pytest.mark.parametrize("document", ["certificate", "notice", "fee statement"])
def test_with_a_tsa_the_signature_carries_a_valid_timestamp_over_it(pki, unsigned, document):
    from pyhanko.sign.validation.status import SignatureCoverageLevel as Coverage

    assert signing.level() == "B-T"
    signed = signing.sign_pdf(unsigned[document], issuer=load_issuer())
    status, embedded = _validate_with_timestamp(signed, pki)
    assert status.bottom_line and status.trusted and status.coverage == Coverage.ENTIRE_FILE
    timestamp = status.timestamp_validity
    assert timestamp is not None and timestamp.intact and timestamp.valid and timestamp.trusted
    assert abs(timestamp.timestamp - datetime.now(timezone.utc)) < timedelta(minutes=5)
    # The token is the signature timestamp: its imprint is the SHA-256 of this signature's value.
    token = embedded.signer_info["unsigned_attrs"][0]
    assert token["type"].native == "signature_time_stamp_token"
    tst_info = token["values"][0]["content"]["encap_content_info"]["content"].parsed
    signature_value = embedded.signer_info["signature"].native
    assert tst_info["message_imprint"]["hashed_message"].native == hashlib.sha256(signature_value).digest()


def test_a_changed_byte_breaks_a_timestamped_signature_and_a_changed_imprint_its_timestamp(pki, unsigned):
    signed = signing.sign_pdf(unsigned["certificate"], issuer=load_issuer())
    status, _ = _validate_with_timestamp(flip(signed, content_stream_offset(signed)), pki)
    assert not status.intact and not status.bottom_line

    _, embedded = _validate_with_timestamp(signed, pki)
    imprint = hashlib.sha256(embedded.signer_info["signature"].native).hexdigest().encode()
    at = signed.lower().index(imprint)  # inside /Contents, in the token: outside the byte range
    digit = signed[at:at + 1]
    tampered = signed[:at] + (b"0" if digit != b"0" else b"1") + signed[at + 1:]
    status, _ = _validate_with_timestamp(tampered, pki)
    assert status.intact  # the document and its signature are untouched...
    assert not status.timestamp_validity.intact  # ...but the timestamp no longer covers the signature
    assert not status.bottom_line


def test_pdfsig_finds_a_timestamped_signature_valid(pki, unsigned, tmp_path):
    path = tmp_path / "signed.pdf"
    path.write_bytes(signing.sign_pdf(unsigned["certificate"], issuer=load_issuer()))
    report = _pdfsig(path)
    assert "Signature Validation: Signature is Valid." in report, report
    assert "Total document signed" in report, report


def test_with_the_trust_roots_the_validation_data_is_embedded_b_lt(pki, unsigned):
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import DocumentSecurityStore, validate_pdf_signature
    from pyhanko.sign.validation.status import SignatureCoverageLevel as Coverage

    from pyhanko_certvalidator import ValidationContext

    b_t = signing.sign_pdf(unsigned["certificate"], issuer=load_issuer())
    pki.use(with_root=True)
    assert signing.level() == "B-LT"
    signed = signing.sign_pdf(unsigned["certificate"], issuer=load_issuer())
    pki.stop()  # nothing to fetch any more: what validates it is in the file
    reader = PdfFileReader(io.BytesIO(signed))
    dss = reader.root["/DSS"]
    assert len(dss["/Certs"]) >= 3 and len(dss["/CRLs"]) == 2  # signer, CA, TSA; both CAs' CRLs
    embedded = reader.embedded_signatures[0]
    # Revocation checked, hard-fail, fetching nothing: only the DSS's certificates and CRLs.
    context = DocumentSecurityStore.read_dss(reader).as_validation_context(
        {"trust_roots": [pki.arch.get_cert("root")], "allow_fetching": False, "revocation_mode": "hard-fail"}
    )
    status = validate_pdf_signature(embedded, context, ts_validation_context=context)
    assert status.bottom_line and status.trusted and status.timestamp_validity.trusted
    # The same check on the B-T file fails: it lacks the revocation information.
    offline = ValidationContext(
        trust_roots=[pki.arch.get_cert("root")], allow_fetching=False, revocation_mode="hard-fail", crls=[], ocsps=[]
    )
    b_t_embedded = PdfFileReader(io.BytesIO(b_t)).embedded_signatures[0]
    assert not validate_pdf_signature(b_t_embedded, offline, ts_validation_context=offline).bottom_line
    assert status.coverage == Coverage.ENTIRE_FILE  # the DSS is in the signed revision
    certificates = [choice.chosen for choice in embedded.signed_data["certificates"]]
    assert all(c.self_signed == "no" for c in certificates)  # the root is a trust anchor, not embedded


def test_a_tsa_that_does_not_answer_fails_the_signing(pki, unsigned):
    signing.sign_pdf(unsigned["notice"], issuer=load_issuer())
    pki.stop()
    signing.forget()
    with pytest.raises(Exception, match="(?i)timestamp|connect"):
        signing.sign_pdf(unsigned["notice"], issuer=load_issuer())
