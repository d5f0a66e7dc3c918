"""証拠一式 with the signing path of every document (pyHanko through KMS, in moto): the 寄託記録 is
signed, valid and trusted under the demo root, tamper-evident; the evidence ZIP holds the certificates
as stored and the signed record, under their Japanese names."""
from __future__ import annotations

import hashlib
import io
import zipfile
from datetime import datetime

import pytest
from asn1crypto import pem
from asn1crypto import x509 as asn1_x509

from esurety.aws import signing
from esurety.documents.certificate import render_certificate
from esurety.documents.evidence import certificate_filename
from esurety.domain.japanese.clock import JST
from esurety.services.views.desk_evidence import evidence_file, signed_deposit_record
from support.documents import make_certificate, make_desk_guarantee, pdf_text

MADE_AT = datetime(2024, 12, 6, 14, 35, 12, tzinfo=JST)


def validate(pdf: bytes, root_pem: str):
    """pyHanko's verdict on the one signature, trusting only `root_pem`, fetching nothing."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    root = asn1_x509.Certificate.load(pem.unarmor(root_pem.encode("ascii"))[2])
    reader = PdfFileReader(io.BytesIO(pdf))
    assert len(reader.embedded_signatures) == 1
    context = ValidationContext(trust_roots=[root], allow_fetching=False)
    return validate_pdf_signature(reader.embedded_signatures[0], context)


@pytest.fixture
def stored(cloud) -> dict[str, bytes]:
    """Signed certificate PDFs as the bucket holds them: 新規 and 変更ー1 in force, the 変更ー1 a 訂正 replaced."""
    return {
        "新規": signing.sign_pdf(render_certificate(make_certificate("advance_payment", None)), issuer=None),
        "変更ー1": signing.sign_pdf(render_certificate(make_certificate("advance_payment", 1, guarantee_amount=22_000_000)), issuer=None),
        "訂正前": signing.sign_pdf(render_certificate(make_certificate("advance_payment", 1)), issuer=None),
    }


def guarantee_for(stored: dict[str, bytes]) -> dict:
    """The desk's answer whose history lists the stored PDFs' SHA-256 (as the records do)."""
    guarantee = make_desk_guarantee()
    new, change = (dict(entry) for entry in guarantee["history"])
    new["sha256"] = hashlib.sha256(stored["新規"]).hexdigest()
    change["sha256"] = hashlib.sha256(stored["変更ー1"]).hexdigest()
    change["correction"] = {**change["correction"], "replaces": {**change["correction"]["replaces"], "sha256": hashlib.sha256(stored["訂正前"]).hexdigest()}}
    guarantee["history"] = [new, change]
    return guarantee


def test_the_record_is_signed_valid_trusted_and_covers_the_whole_file(cloud, trust_root):
    from pyhanko.sign.validation.status import SignatureCoverageLevel as Coverage

    signed = signed_deposit_record(make_desk_guarantee(), MADE_AT)
    status = validate(signed, trust_root)
    assert status.intact and status.valid and status.trusted
    assert status.coverage == Coverage.ENTIRE_FILE
    assert status.bottom_line
    assert status.md_algorithm == "sha256"
    assert "作成日時令和06年12月06日14:35:12（日本時間）" in pdf_text(signed)


def test_the_record_is_pades_like_the_other_documents(cloud):
    from pyhanko.pdf_utils.reader import PdfFileReader

    embedded = PdfFileReader(io.BytesIO(signed_deposit_record(make_desk_guarantee(), MADE_AT))).embedded_signatures[0]
    assert embedded.field_name == signing.FIELD_NAME
    assert embedded.sig_object["/SubFilter"] == "/ETSI.CAdES.detached"


def test_a_changed_byte_of_the_record_breaks_its_signature(cloud, trust_root):
    signed = signed_deposit_record(make_desk_guarantee(), MADE_AT)
    offset = signed.index(b"/Creator (esurety)") + len(b"/Creator (")
    tampered = bytearray(signed)
    tampered[offset] ^= 0x01
    status = validate(bytes(tampered), trust_root)
    assert not status.intact and not status.bottom_line


def test_without_signing_configured_no_unsigned_record_is_made(monkeypatch):
    monkeypatch.delenv(signing.KEY_ENV_VAR, raising=False)
    monkeypatch.delenv(signing.CERTIFICATE_ENV_VAR, raising=False)
    signing.forget()
    with pytest.raises(RuntimeError, match="signing is not configured"):
        signed_deposit_record(make_desk_guarantee(), MADE_AT)


def test_the_evidence_file_holds_the_stored_certificates_and_the_signed_record(cloud, trust_root, stored):
    guarantee = guarantee_for(stored)
    files = [(certificate_filename("新規"), stored["新規"]), (certificate_filename("変更ー1"), stored["変更ー1"])]
    archive = zipfile.ZipFile(io.BytesIO(evidence_file(guarantee, files, MADE_AT)))
    assert archive.namelist() == ["保証証書_新規.pdf", "保証証書_変更ー1.pdf", "寄託記録.pdf"]
    assert all(info.flag_bits & 0x800 for info in archive.infolist())
    # The certificates byte for byte: their hashes are those the record prints.
    record_text = pdf_text(archive.read("寄託記録.pdf"))
    for name, label in (("保証証書_新規.pdf", "新規"), ("保証証書_変更ー1.pdf", "変更ー1")):
        data = archive.read(name)
        assert data == stored[label]
        assert hashlib.sha256(data).hexdigest() in record_text
        assert validate(data, trust_root).bottom_line
    assert hashlib.sha256(stored["訂正前"]).hexdigest() in record_text
    record = validate(archive.read("寄託記録.pdf"), trust_root)
    assert record.intact and record.valid and record.trusted


def test_the_evidence_file_refuses_a_pdf_that_is_no_listed_version(cloud, stored):
    guarantee = guarantee_for(stored)
    other = signing.sign_pdf(render_certificate(make_certificate("contract", None)), issuer=None)
    with pytest.raises(ValueError, match="not a certificate the record lists"):
        evidence_file(guarantee, [(certificate_filename("新規"), other)], MADE_AT)
