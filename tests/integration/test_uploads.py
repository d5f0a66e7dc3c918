"""認定調書 uploads: a presigned POST bound to one PDF key and size, judged after arrival."""
from __future__ import annotations

import base64
import hashlib
import io
import json
import time
import zlib

import pytest
import requests
from reportlab.pdfgen.canvas import Canvas

from conftest import LambdaContext, load_handler, s3_notification
from esurety.domain import attachments
from esurety.config import settings
from esurety.domain.errors import InputError
from esurety.domain.identity import Caller
from esurety.aws.models import ApplicationItem, UploadItem
from esurety.services.commands import uploads

COMPANY_A = Caller("user-a", frozenset({"contractor"}), company_id="company-a")
COMPANY_B = Caller("user-b", frozenset({"contractor"}), company_id="company-b")


def a_pdf(pages: int = 1) -> bytes:
    out = io.BytesIO()
    canvas = Canvas(out)
    for page in range(pages):
        canvas.drawString(72, 720, f"nintei chousho page {page + 1}")
        canvas.showPage()
    canvas.save()
    return out.getvalue()


@pytest.fixture(scope="module")
def s3_endpoint():
    """moto's HTTP server on 127.0.0.1, over the same in-process backends as the mock.

    The browser posts the form straight to S3; in-process mocks only see boto3's calls, so the
    POST goes to moto's server, which keeps the bucket the services read.
    """
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def post(s3_endpoint):
    def send(upload: dict, data: bytes, content_type: str = "application/pdf") -> requests.Response:
        # Path-style to the local server: the same form fields the browser would send to S3.
        url = f"{s3_endpoint}/{settings().bucket_name}"
        fields = {**upload["fields"], "Content-Type": content_type}
        return requests.post(url, data=fields, files={"file": ("nintei.pdf", data, content_type)}, timeout=10)

    return send


def arrived(upload: dict) -> str:
    """The bucket's notification of the posted object, handled by UploadCheckFunction."""
    check = load_handler("functions/apply/upload_check.py", "esurety_fn_upload_check")
    event = s3_notification(uploads.object_key(upload["upload_id"]))
    return check.lambda_handler(event, LambdaContext())["outcomes"][0]


def test_the_post_policy_binds_one_key_the_pdf_type_and_the_size(cloud):
    upload = uploads.create(COMPANY_A)
    policy = json.loads(base64.b64decode(upload["fields"]["policy"]))
    conditions = policy["conditions"]
    assert {"key": f"uploads/{upload['upload_id']}.pdf"} in conditions
    assert {"Content-Type": "application/pdf"} in conditions
    assert ["content-length-range", 1, attachments.MAX_BYTES] in conditions
    assert upload["max_bytes"] == attachments.MAX_BYTES


def test_a_real_pdf_is_checked_and_can_be_named_by_its_company(cloud, post):
    upload = uploads.create(COMPANY_A)
    assert post(upload, a_pdf(2)).status_code in (200, 204)
    assert arrived(upload) == "checked"
    item = uploads.require_checked(COMPANY_A, upload["upload_id"])
    assert (item.pages, item.size) == (2, len(a_pdf(2)))
    with pytest.raises(InputError, match="no such upload"):
        uploads.require_checked(COMPANY_B, upload["upload_id"])  # another company's upload


@pytest.mark.parametrize(
    "data, reason",
    [
        (b"MZ\x90\x00 not a pdf at all", "not a PDF"),
        (b"%PDF-1.7\n garbage that no reader can open", "cannot be read"),
    ],
)
def test_a_file_that_is_not_a_real_pdf_is_refused_and_cannot_be_named(cloud, post, data, reason):
    upload = uploads.create(COMPANY_A)
    post(upload, data)
    assert arrived(upload) == "refused"
    with pytest.raises(InputError, match=reason):
        uploads.require_checked(COMPANY_A, upload["upload_id"])


def test_a_repeated_delivery_keeps_the_first_judgement(cloud, post):
    upload = uploads.create(COMPANY_A)
    post(upload, a_pdf())
    assert arrived(upload) == "checked"
    assert arrived(upload) == "already-checked"  # S3 delivers at least once
    post(upload, b"not a pdf")  # a second POST within the link's life puts another version
    assert arrived(upload) == "swap-refused"
    assert UploadItem.get(*UploadItem.key(upload["upload_id"])).state == "checked"


def test_an_upload_that_has_not_arrived_cannot_be_named(cloud):
    upload = uploads.create(COMPANY_A)
    with pytest.raises(InputError, match="not arrived"):
        uploads.require_checked(COMPANY_A, upload["upload_id"])
    with pytest.raises(InputError, match="not an upload id"):
        uploads.require_checked(COMPANY_A, "../certificates/x")


def test_other_objects_are_ignored(cloud):
    assert uploads.check("certificates/31063-00001J/v001.pdf", None) == "ignored-not-an-upload"
    assert uploads.check("uploads/" + "0" * 24 + ".pdf", None) == "ignored-unknown-upload"


def test_the_judge_refuses_empty_oversized_and_encrypted_files():
    assert not attachments.judge_pdf(b"").ok
    assert "larger" in attachments.judge_pdf(a_pdf(), max_bytes=100).reason
    out = io.BytesIO()
    canvas = Canvas(out, encrypt="secret")
    canvas.drawString(72, 720, "x")
    canvas.save()
    assert attachments.judge_pdf(out.getvalue()).reason == "the PDF is encrypted"


def test_the_contractor_asks_the_api_for_an_upload_and_staff_may_not(api, post):
    from tests.conftest import CONTRACTOR_A, STAFF

    status, upload = api.post("/applications/uploads", CONTRACTOR_A)
    assert status == 201 and upload["url"] and upload["fields"]["key"] == f"uploads/{upload['upload_id']}.pdf"
    post(upload, a_pdf())
    assert arrived(upload) == "checked"
    assert api.post("/applications/uploads", STAFF)[0] == 403


def test_the_contractor_reads_the_checks_verdict(api, post):
    from tests.conftest import CONTRACTOR_A, CONTRACTOR_B

    status, upload = api.post("/applications/uploads", CONTRACTOR_A)
    assert status == 201
    path = f"/applications/uploads/{upload['upload_id']}"
    assert api.get(path, CONTRACTOR_A)[1]["state"] == "awaiting"
    post(upload, b"MZ not a pdf")
    assert arrived(upload) == "refused"
    status, verdict = api.get(path, CONTRACTOR_A)
    assert status == 200 and (verdict["state"], verdict["reason"]) == ("refused", "the file is not a PDF")
    assert api.get(path, CONTRACTOR_B)[0] == 404  # another company's upload does not exist for it
    assert api.get("/applications/uploads/../x", CONTRACTOR_A)[0] in (404, 422)


# ----------------------------------------------------------------------------- a second POST under the key


def opened_by_staff(api, s3_endpoint: str, application_id: str) -> tuple[dict, bytes]:
    """The 認定調書 as staff see it on the application, and the bytes its link serves (the link's
    path and query, the version among them, sent to the local S3 instead of the bucket's host)."""
    from urllib.parse import urlsplit

    from tests.conftest import STAFF

    status, view = api.get(f"/staff/applications/{application_id}", STAFF)
    assert status == 200, view
    document = view["certification_document"]
    link = urlsplit(document["link"]["url"])
    bucket = link.hostname.split(".s3.")[0]
    response = requests.get(f"{s3_endpoint}/{bucket}{link.path}?{link.query}", timeout=10)
    assert response.status_code == 200, response.text
    return document, response.content


def test_a_second_post_with_the_same_form_is_never_what_staff_open(api, post, s3_endpoint):
    """The presigned POST lives 300 s: replaying it puts a new object version under the key. Staff
    open the version the check judged, and the later one is recorded as a swap attempt."""
    from tests.conftest import CONTRACTOR_A, interim_body, issued_paper_advance

    checked_bytes, swapped_bytes = a_pdf(1), a_pdf(3)
    assert hashlib.sha256(checked_bytes).digest() != hashlib.sha256(swapped_bytes).digest()
    status, upload = api.post("/applications/uploads", CONTRACTOR_A)
    assert status == 201
    assert post(upload, checked_bytes).status_code in (200, 204)
    assert arrived(upload) == "checked"
    assert post(upload, swapped_bytes).status_code in (200, 204)  # the same form, within its life
    assert arrived(upload) == "swap-refused"
    body = interim_body(api, issued_paper_advance(api, "tochigi-pref"))
    body["upload_id"] = upload["upload_id"]
    status, created = api.post("/applications", CONTRACTOR_A, body)
    assert status == 201, created

    document, served = opened_by_staff(api, s3_endpoint, created["application_id"])
    assert hashlib.sha256(served).hexdigest() == hashlib.sha256(checked_bytes).hexdigest() == document["sha256"]
    assert document["pages"] == 1 and document["swap_attempts"] == 1
    assert api.get(f"/applications/uploads/{upload['upload_id']}", CONTRACTOR_A)[1]["state"] == "checked"


def test_a_swap_posted_before_the_application_names_the_upload_still_pins_the_checked_version(api, post, s3_endpoint):
    """A repeated notification of the swapped version counts once, and the application records the version."""
    from tests.conftest import CONTRACTOR_A, interim_body, issued_paper_advance

    status, upload = api.post("/applications/uploads", CONTRACTOR_A)
    checked_bytes = a_pdf(2)
    post(upload, checked_bytes)
    assert arrived(upload) == "checked"
    post(upload, b"%PDF-1.7 something else")
    assert arrived(upload) == "swap-refused"
    assert arrived(upload) == "swap-refused"  # S3 delivers at least once
    body = interim_body(api, issued_paper_advance(api, "tochigi-pref"))
    body["upload_id"] = upload["upload_id"]
    status, created = api.post("/applications", CONTRACTOR_A, body)
    assert status == 201, created
    item = UploadItem.get(*UploadItem.key(upload["upload_id"]))
    application = ApplicationItem.get(*ApplicationItem.key(created["application_id"]))
    assert (application.upload_version, application.upload_sha256) == (item.object_version, item.sha256)
    assert item.swap_versions and len(item.swap_versions) == 1
    document, served = opened_by_staff(api, s3_endpoint, created["application_id"])
    assert served == checked_bytes and document["swap_attempts"] == 1


# ----------------------------------------------------------------------------- PDFs hostile to a reviewer's viewer


def raw_pdf(*extra: bytes, catalog: bytes = b"", count: int = 1, page: bytes = b"", objects: tuple[bytes, ...] = ()) -> bytes:
    """A one-page PDF written by hand: 1 the catalog (+`catalog`), 2 the page tree (`count`), 3 the
    page (+`page`), 4 its content; `objects` numbered from 5 on. A classic cross-reference table."""
    content = b"BT /F1 12 Tf 72 720 Td (nintei) Tj ET"
    bodies = [
        b"<< /Type /Catalog /Pages 2 0 R " + catalog + b" >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count " + str(count).encode() + b" >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R " + page + b" >>",
        b"<< /Length " + str(len(content)).encode() + b" >>\nstream\n" + content + b"\nendstream",
        *objects,
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(bodies, start=1):
        offsets.append(out.tell())
        out.write(f"{number} 0 obj\n".encode() + body + b"\nendobj\n")
    start = out.tell()
    out.write(f"xref\n0 {len(bodies) + 1}\n0000000000 65535 f \n".encode())
    for offset in offsets:
        out.write(f"{offset:010d} 00000 n \n".encode())
    out.write(f"trailer\n<< /Size {len(bodies) + 1} /Root 1 0 R >>\nstartxref\n{start}\n%%EOF\n".encode())
    return out.getvalue()


def flate_stream(data: bytes, dictionary: bytes = b"") -> bytes:
    packed = zlib.compress(data, 9)
    return b"<< /Filter /FlateDecode /Length " + str(len(packed)).encode() + b" " + dictionary + b" >>\nstream\n" + packed + b"\nendstream"


def JavaScript(code: str):
    from pypdf.actions import JavaScript as Action

    return Action(code)


def pypdf_with(change) -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(a_pdf(1))))
    change(writer)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def in_an_object_stream() -> bytes:
    """A page whose open action sits, Flate-compressed, in an object stream: no byte of the file
    spells /JavaScript; only a reader that inflates the object stream sees it."""
    from pyhanko.pdf_utils import generic, writer

    pdf = writer.PdfFileWriter(stream_xrefs=True)
    contents = pdf.add_object(generic.StreamObject(stream_data=b"BT /F1 12 Tf 72 720 Td (x) Tj ET"))
    pdf.insert_page(writer.PageObject(contents, (0, 0, 595, 842)))
    action = generic.DictionaryObject({generic.pdf_name("/S"): generic.pdf_name("/JavaScript"), generic.pdf_name("/JS"): generic.pdf_string("app.alert(1)")})
    pdf.root[generic.pdf_name("/OpenAction")] = pdf.add_object(action, obj_stream=pdf.prepare_object_stream())
    out = io.BytesIO()
    pdf.write(out)
    assert b"/JavaScript" not in out.getvalue()
    return out.getvalue()


HOSTILE = {
    "document JavaScript (pypdf add_open_action)": (lambda: pypdf_with(lambda w: w.add_open_action(JavaScript("app.alert('x');"))), "javascript"),
    "JavaScript inside a compressed object stream": (lambda: in_an_object_stream(), "javascript"),
    "OpenAction with JavaScript": (lambda: raw_pdf(catalog=b"/OpenAction << /S /JavaScript /JS (app.alert(1)) >>"), "javascript"),
    "JavaScript behind a #-escaped name": (lambda: raw_pdf(catalog=b"/OpenAction << /S /J#61vaScript /J#53 (app.alert(1)) >>"), "javascript"),
    "JavaScript in an object no page reaches": (lambda: raw_pdf(objects=(b"<< /S /JavaScript /JS (app.alert(1)) >>",)), "javascript"),
    "a page's additional action with a JS stream": (
        lambda: raw_pdf(page=b"/AA << /O 5 0 R >>", objects=(b"<< /S /JavaScript /JS 6 0 R >>", flate_stream(b"app.alert(1)"))),
        "javascript",
    ),
    "Launch action": (lambda: raw_pdf(catalog=b"/OpenAction << /S /Launch /F (calc.exe) >>"), "launch_action"),
    "embedded files (pypdf add_attachment)": (lambda: pypdf_with(lambda w: w.add_attachment("payload.exe", b"MZ")), "embedded_file"),
    "FileAttachment annotation": (
        lambda: raw_pdf(page=b"/Annots [5 0 R]", objects=(b"<< /Type /Annot /Subtype /FileAttachment /Rect [0 0 10 10] /FS (a.exe) >>",)),
        "embedded_file",
    ),
    "a page count that lies": (lambda: raw_pdf(count=40), "page_count_mismatch"),
    "a decompression bomb": (lambda: raw_pdf(objects=(flate_stream(bytes(80 * 1024 * 1024)),)), "decompression_bomb"),
    "a bomb of many streams within the single-stream cap": (lambda: raw_pdf(objects=(flate_stream(bytes(40 * 1024 * 1024)),) * 7), "decompression_bomb"),
    "LZW the check cannot bound": (lambda: raw_pdf(objects=(b"<< /Filter /LZWDecode /Length 2 >>\nstream\n\x80\x00\nendstream",)), "unsupported_compression"),
}


@pytest.mark.parametrize("build, code", HOSTILE.values(), ids=HOSTILE.keys())
def test_a_pdf_hostile_to_the_reviewers_viewer_is_refused_with_its_reason(build, code):
    data = build()
    started = time.monotonic()
    verdict = attachments.judge_pdf(data)
    assert (verdict.ok, verdict.code) == (False, code), verdict
    assert verdict.message == attachments.REASONS[code][1] and verdict.reason.startswith(attachments.REASONS[code][0])
    assert time.monotonic() - started < 5  # bounded: a bomb is never inflated past the cap


def test_ordinary_pdfs_still_pass_the_check():
    assert attachments.judge_pdf(a_pdf(3)) == attachments.Verdict(True, pages=3)
    assert attachments.judge_pdf(raw_pdf()).ok
    assert attachments.judge_pdf(raw_pdf(objects=(flate_stream(bytes(20 * 1024 * 1024)),))).ok  # a big scan's page
    assert attachments.judge_pdf(pypdf_with(lambda w: w.add_metadata({"/Title": "認定調書 /JavaScript"}))).ok  # a string, not a name


def test_the_contractor_sees_why_a_hostile_pdf_was_refused(api, post):
    from tests.conftest import CONTRACTOR_A, interim_body, issued_paper_advance

    status, upload = api.post("/applications/uploads", CONTRACTOR_A)
    post(upload, raw_pdf(catalog=b"/OpenAction << /S /Launch /F (calc.exe) >>"))
    assert arrived(upload) == "refused"
    status, verdict = api.get(f"/applications/uploads/{upload['upload_id']}", CONTRACTOR_A)
    assert status == 200 and (verdict["state"], verdict["code"]) == ("refused", "launch_action")
    assert verdict["message"] == "外部のプログラムやファイルを開く動作を含む PDF は受け付けられません。"
    body = interim_body(api, issued_paper_advance(api, "tochigi-pref"))
    body["upload_id"] = upload["upload_id"]
    status, answer = api.post("/applications", CONTRACTOR_A, body)
    assert status == 422 and answer["errors"][0]["field"] == "upload_id" and "launch action" in answer["errors"][0]["reason"]


def test_two_versions_checked_at_once_the_judgement_written_first_stands(cloud, post, monkeypatch):
    """Both arrivals find the upload awaiting; the one whose judgement is written second is the swap."""
    import boto3

    upload = uploads.create(COMPANY_A)
    key = uploads.object_key(upload["upload_id"])
    post(upload, a_pdf(1))
    post(upload, a_pdf(2))
    versions = boto3.client("s3").list_object_versions(Bucket=settings().bucket_name, Prefix=key)["Versions"]
    (first,) = [v["VersionId"] for v in versions if not v["IsLatest"]]
    (second,) = [v["VersionId"] for v in versions if v["IsLatest"]]
    judge = attachments.judge_pdf

    def judged_while_the_other_finishes(data):
        monkeypatch.setattr(attachments, "judge_pdf", judge)
        assert uploads.check(key, second) == "checked"  # the second version's check writes first
        return judge(data)

    monkeypatch.setattr(attachments, "judge_pdf", judged_while_the_other_finishes)
    assert uploads.check(key, first) == "swap-refused"
    item = UploadItem.get(*UploadItem.key(upload["upload_id"]))
    assert (item.object_version, item.pages, item.swap_versions) == (second, 2, {first})
