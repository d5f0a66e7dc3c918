"""The desk's files through the API: the CSV export of the list (every page, CP932 as Windows writes
it, what could not be written listed) and the evidence ZIP (the stored certificates byte for byte and
a signed 寄託記録), each a presigned download; refused requests store nothing; tenants never meet."""
from __future__ import annotations

import csv
import hashlib
import io
import urllib.parse
import zipfile

import boto3
import pytest
from asn1crypto import pem
from asn1crypto import x509 as asn1_x509

from conftest import CONTRACTOR_A, ORDERER_ASHIKAGA, ORDERER_TOCHIGI, ORDERER_TOCHIGI_CONTRACTS, ORDERER_TOCHIGI_WORKS
from support.flows import BANK_FIX, INCREASE, correct, issue_and_publish, issue_change, publish, records

from esurety.aws.models import AuditItem
from esurety.config import settings


def submit(api, number, department="works"):
    status, body = api.post(f"/contracts/{number}/submissions", CONTRACTOR_A, {"department_id": department})
    assert status == 201, body


def presented(api, handlers, product="advance_payment", **overrides) -> str:
    _, number, _ = issue_and_publish(api, handlers, product, **overrides)
    submit(api, number, "contracts" if product == "contract" else "works")
    return number


def fetched(url: str) -> tuple[bytes, dict]:
    """What the presigned link's holder downloads: the object, and the type and disposition the
    link asks S3 to answer with (signed into it)."""
    parsed = urllib.parse.urlparse(url)
    query = dict(urllib.parse.parse_qsl(parsed.query))
    key = urllib.parse.unquote(parsed.path).lstrip("/")
    if key.startswith(settings().bucket_name + "/"):
        key = key[len(settings().bucket_name) + 1:]
    answer = boto3.client("s3").get_object(Bucket=settings().bucket_name, Key=key)
    assert answer["ContentType"] == query["response-content-type"]  # stored with the type it is served as
    return answer["Body"].read(), {"key": key, "type": query["response-content-type"], "disposition": query["response-content-disposition"]}


def stored_keys(prefix: str) -> list[str]:
    return [o["Key"] for o in boto3.client("s3").list_objects_v2(Bucket=settings().bucket_name, Prefix=prefix).get("Contents", [])]


def audit_trail(pk: str) -> list[AuditItem]:
    return list(AuditItem.query(pk, AuditItem.sk.startswith("AUDIT#")))


# ----------------------------------------------------------------------------- CSV


def test_the_csv_in_cp932_holds_every_row_and_lists_what_it_could_not_write(api, handlers):
    plain = presented(api, handlers)
    work = {"name": "𠮷野川護岸工事", "kind": "construction", "contract_price": 50_000_000, "contract_date": "2024-04-01",
            "period_start": "2024-04-02", "period_end": "2025-03-14"}
    contractor = {"name": "髙橋建設 株式会社", "address": "栃木県宇都宮市本町1-2-3", "jv_name": None}
    special = presented(api, handlers, work=work, contractor=contractor)

    status, export = api.get("/desk/export", ORDERER_TOCHIGI, query={"format": "csv", "encoding": "cp932"})
    assert status == 200, export
    assert export["rows"] == 2
    assert export["substituted"] == [{"contract_number": special, "column": "工事名", "character": "𠮷"}]
    data, headers = fetched(export["url"])
    assert headers["type"] == "text/csv; charset=Shift_JIS"
    assert headers["disposition"].startswith('attachment; filename="desk-') and headers["disposition"].endswith('.csv"')
    assert headers["key"].startswith("exports/tochigi-pref/")
    assert "髙".encode("cp932") not in data and b"\xfb\xfc" in data  # 髙 as Windows writes it (IBM extension)
    table = list(csv.reader(io.StringIO(data.decode("cp932"))))
    assert table[0][:3] == ["保証契約番号", "発行者", "商品"] and len(table[0]) == 15
    by_number = {line[0]: line for line in table[1:]}
    assert set(by_number) == {plain, special}
    assert by_number[special][3] == "〓野川護岸工事" and by_number[special][4] == "髙橋建設 株式会社"
    assert by_number[plain][5] == "20000000" and by_number[plain][6] == "令和07年03月31日"

    # UTF-8 keeps every character, with the byte order mark Excel needs, and lists nothing.
    status, export = api.get("/desk/export", ORDERER_TOCHIGI, query={"format": "csv", "encoding": "utf-8"})
    assert status == 200 and export["substituted"] == []
    data, headers = fetched(export["url"])
    assert headers["type"] == "text/csv; charset=utf-8" and data.startswith("\ufeff".encode("utf-8"))
    assert "𠮷野川護岸工事" in data.decode("utf-8-sig")

    # Audited: who, with which filters, how many rows.
    trail = [a for a in audit_trail("DESKAUDIT#tochigi-pref") if a.action == "desk-export"]
    assert sorted((a.staff_subject, a.details["encoding"], a.details["rows"], a.details["view"]) for a in trail) == [
        ("orderer-1", "cp932", 2, "all"), ("orderer-1", "utf-8", 2, "all")
    ]


def test_the_export_reads_every_page_and_keeps_the_lists_filters(api, handlers, monkeypatch):
    from esurety.services.views import desk

    monkeypatch.setattr(desk, "EXPORT_PAGE", 1)  # one item a query page: the export must follow them all
    advances = [presented(api, handlers) for _ in range(3)]
    contract = presented(api, handlers, "contract", deposit_bank=None)
    status, export = api.get("/desk/export", ORDERER_TOCHIGI, query={"encoding": "utf-8"})
    assert status == 200 and export["rows"] == 4
    status, export = api.get("/desk/export", ORDERER_TOCHIGI, query={"encoding": "utf-8", "product": "contract"})
    assert export["rows"] == 1
    assert [line[0] for line in csv.reader(io.StringIO(fetched(export["url"])[0].decode("utf-8-sig")))][1:] == [contract]
    # A department's clerk exports its department's rows only, whatever it asks for.
    status, export = api.get("/desk/export", ORDERER_TOCHIGI_WORKS, query={"encoding": "utf-8"})
    lines = list(csv.reader(io.StringIO(fetched(export["url"])[0].decode("utf-8-sig"))))[1:]
    assert export["rows"] == 3 and {line[0] for line in lines} == set(advances)
    assert {line[9] for line in lines} == {"県土整備部 技術管理課"}
    assert api.get("/desk/export", ORDERER_TOCHIGI_WORKS, query={"encoding": "utf-8", "department": "contracts"})[1]["rows"] == 0
    assert api.get("/desk/export", ORDERER_TOCHIGI_CONTRACTS, query={"encoding": "utf-8"})[1]["rows"] == 1
    # Another orderer's desk is empty for it.
    assert api.get("/desk/export", ORDERER_ASHIKAGA, query={"encoding": "utf-8"})[1]["rows"] == 0


@pytest.mark.parametrize("query, field, code", [
    ({"format": "csv", "encoding": "latin-1"}, "encoding", "unknown_encoding"),
    ({"format": "csv", "encoding": "shift_jis"}, "encoding", "unknown_encoding"),
    ({"format": "xlsx", "encoding": "utf-8"}, "format", "invalid_choice"),
    ({"format": "csv"}, "encoding", "required"),
])
def test_a_refused_export_reads_and_stores_nothing(api, handlers, query, field, code):
    presented(api, handlers)
    before = [a.sk for a in audit_trail("DESKAUDIT#tochigi-pref")]
    status, body = api.get("/desk/export", ORDERER_TOCHIGI, query=query)
    assert status == 422, body
    assert body["errors"][0]["field"].endswith(field) and body["errors"][0]["code"] == code
    assert stored_keys("exports/") == []
    assert [a.sk for a in audit_trail("DESKAUDIT#tochigi-pref")] == before


def test_the_export_is_for_orderers_only(api, handlers):
    presented(api, handlers)
    assert api.get("/desk/export", CONTRACTOR_A, query={"encoding": "utf-8"})[0] == 403
    assert stored_keys("exports/") == []


# ----------------------------------------------------------------------------- evidence


def _validate(pdf: bytes, root_pem: str):
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    root = asn1_x509.Certificate.load(pem.unarmor(root_pem.encode("ascii"))[2])
    reader = PdfFileReader(io.BytesIO(pdf))
    assert len(reader.embedded_signatures) == 1
    return validate_pdf_signature(reader.embedded_signatures[0], ValidationContext(trust_roots=[root], allow_fetching=False))


def test_the_evidence_zip_holds_the_stored_certificates_and_a_signed_record(api, handlers, trust_root):
    from esurety.documents.evidence import DEPOSIT_RECORD_FILENAME

    number = presented(api, handlers)
    issue_change(api, handlers, number, INCREASE, "2024-06-03T01:00:00.000Z")
    assert correct(api, number, 2, BANK_FIX)[0] == 202  # 変更ー1 corrected: the 訂正 is shown, the replaced one is not
    publish(handlers, number, 3, "2024-06-10T01:00:00.000Z")

    status, seen = api.get(f"/desk/guarantees/{number}", ORDERER_TOCHIGI)
    assert status == 200
    by_version = {int(r.version): r for r in records(number)}
    assert [(h["version"], h["sha256"]) for h in seen["history"]] == [(1, by_version[1].sha256), (3, by_version[3].sha256)]

    status, evidence = api.get(f"/desk/guarantees/{number}/evidence", ORDERER_TOCHIGI_WORKS)
    assert status == 200, evidence
    data, headers = fetched(evidence["url"])
    assert headers["type"] == "application/zip" and headers["disposition"] == f'attachment; filename="evidence-{number}.zip"'
    assert headers["key"].startswith(f"evidence/tochigi-pref/{number}/")
    archive = zipfile.ZipFile(io.BytesIO(data))
    assert archive.namelist() == ["保証証書_新規.pdf", "保証証書_変更ー1.pdf", DEPOSIT_RECORD_FILENAME]
    s3 = boto3.client("s3")
    for name, version in (("保証証書_新規.pdf", 1), ("保証証書_変更ー1.pdf", 3)):
        record = by_version[version]
        stored = s3.get_object(Bucket=settings().bucket_name, Key=record.s3_key, VersionId=record.s3_version_id)["Body"].read()
        assert archive.read(name) == stored  # byte for byte: the clerk's certutil gives the record's SHA-256
        assert hashlib.sha256(archive.read(name)).hexdigest() == record.sha256
    status = _validate(archive.read(DEPOSIT_RECORD_FILENAME), trust_root)
    assert status.intact and status.valid and status.trusted and status.bottom_line

    trail = [(a.action, a.staff_subject) for a in audit_trail(f"CONTRACT#{number}")]
    assert ("desk-evidence", "orderer-works") in trail


def test_evidence_is_not_found_off_this_callers_desk_and_nothing_is_stored(api, handlers):
    number = presented(api, handlers)
    _, never_presented, _ = issue_and_publish(api, handlers)
    for claims, wanted in ((ORDERER_ASHIKAGA, number), (ORDERER_TOCHIGI_CONTRACTS, number), (ORDERER_TOCHIGI, never_presented),
                           (ORDERER_TOCHIGI, "31063-99999X")):
        status, body = api.get(f"/desk/guarantees/{wanted}/evidence", claims)
        assert status in (404, 422) and status == api.get(f"/desk/guarantees/{wanted}", claims)[0], (claims, wanted, body)
    assert api.get(f"/desk/guarantees/{number}/evidence", ORDERER_ASHIKAGA)[0] == 404
    assert api.get(f"/desk/guarantees/{number}/evidence", ORDERER_TOCHIGI_CONTRACTS)[0] == 404
    assert api.get(f"/desk/guarantees/{number}/evidence", CONTRACTOR_A)[0] == 403
    assert stored_keys("evidence/") == []
