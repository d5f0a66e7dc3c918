"""Downloaded documents are saved under Japanese names that carry the label (新規 / 変更ー n), never an
internal record number, on the contractor's, the staff's, the orderer's and the desk's links.

The name travels in the presigned URL's `response-content-disposition` as RFC 5987's
`filename*=UTF-8''…` beside an ASCII `filename`: S3 refuses an override it cannot send as ISO-8859-1,
and the harness (tests/aws_fidelity.py) refuses it as S3 does. moto serves no override at all: the header
as served is checked against the local cloud (tests/e2e/test_e2e_contract_list_web.py).
"""
from __future__ import annotations

import re
import urllib.parse

import pytest

import aws_fidelity
from conftest import CONTRACTOR_A, ORDERER_TOCHIGI, STAFF
from esurety.aws import storage
from esurety.domain.guarantee import file_names
from support.flows import INCREASE, cancel, issue_and_publish, issue_change, overview, verify


def disposition_of(url: str) -> str:
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)
    (value,) = query["response-content-disposition"]
    return value


def names_in(disposition: str) -> tuple[str, str, str]:
    """(inline | attachment, the ASCII `filename`, the decoded `filename*`), as a browser reads them."""
    kind = disposition.split(";")[0]
    fallback = re.search(r'filename="([^"]*)"', disposition).group(1)
    star = re.search(r"filename\*=UTF-8''([^;]+)", disposition).group(1)
    return kind, fallback, urllib.parse.unquote(star, encoding="utf-8", errors="strict")


@pytest.fixture
def changed(api, handlers):
    """A published 前払金保証 with a published 変更ー1, and its auth key."""
    _, number, _ = issue_and_publish(api, handlers)
    issue_change(api, handlers, number, INCREASE, "2024-04-02T03:00:00.000Z")
    return number, overview(api, number)["auth_key"]


def test_the_contractor_s_documents_are_named_by_label(api, changed):
    number, _ = changed
    for version, label, ascii_label in ((1, "新規", "new"), (2, "変更ー1", "change1")):
        status, link = api.get(f"/contracts/{number}/certificates/{version}", CONTRACTOR_A)
        assert status == 200, link
        assert names_in(disposition_of(link["url"])) == (
            "inline", f"certificate-{number}-{ascii_label}.pdf", f"保証証書_{number}_{label}.pdf")
        status, notice = api.get(f"/contracts/{number}/notice", CONTRACTOR_A, query={"version": str(version)})
        assert status == 200, notice
        assert names_in(disposition_of(notice["url"]))[2] == f"認証キーのお知らせ_{number}_{label}.pdf"
    status, fee = api.get(f"/contracts/{number}/fee-statements/1", CONTRACTOR_A)
    assert status == 200 and names_in(disposition_of(fee["url"]))[1:] == (
        f"fee-statement-{number}-new.pdf", f"保証料計算書_{number}_新規.pdf")
    assert aws_fidelity.take_problems() == []  # S3 would serve every one of them


def test_an_earlier_version_answers_its_whole_certificate_with_its_link(api, changed):
    number, _ = changed
    status, first = api.get(f"/contracts/{number}/certificates/1", CONTRACTOR_A)
    assert status == 200 and first["label"] == "新規"
    certificate = first["certificate"]
    assert (certificate["version"], certificate["label"], certificate["guarantee_amount"]) == (1, "新規", 20_000_000)
    assert certificate["work_name"] == "県道宇都宮線道路改良工事（その２）" and certificate["contractor"]["name"] == "丸山建設 株式会社"
    assert certificate["issued_at"].startswith("2024-04-01")
    status, second = api.get(f"/contracts/{number}/certificates/2", CONTRACTOR_A)
    assert (second["label"], second["certificate"]["guarantee_amount"]) == ("変更ー1", 30_000_000)


def test_the_staff_s_desk_s_and_orderer_s_links_are_named_by_label(api, changed):
    number, key = changed
    status, view = api.get(f"/staff/contracts/{number}", STAFF)
    assert status == 200, view
    by_version = {r["version"]: r for r in view["records"]}
    assert names_in(disposition_of(by_version[2]["certificate"]["url"]))[2] == f"保証証書_{number}_変更ー1.pdf"
    assert names_in(disposition_of(by_version[1]["fee_statement"]["url"]))[2] == f"保証料計算書_{number}_新規.pdf"

    status, verified = verify(api, number, key)
    assert status == 200, verified
    assert names_in(disposition_of(verified["pdf_url"]))[2] == f"保証証書_{number}_変更ー1.pdf"
    status, desk = api.get(f"/desk/guarantees/{number}", ORDERER_TOCHIGI, query={"version": "1"})
    assert status == 200, desk
    assert names_in(disposition_of(desk["pdf_url"]))[1:] == (f"certificate-{number}-new.pdf", f"保証証書_{number}_新規.pdf")


def test_staff_s_link_to_a_withdrawn_change_says_it_is_no_longer_shown(api, changed):
    number, _ = changed
    status, answer = cancel(api, number, 2)
    assert status == 200, answer
    view = api.get(f"/staff/contracts/{number}", STAFF)[1]
    withdrawn = next(r for r in view["records"] if r["version"] == 2)
    assert names_in(disposition_of(withdrawn["certificate"]["url"]))[1:] == (
        f"certificate-{number}-change1-superseded.pdf", f"保証証書_{number}_変更ー1（表示対象外）.pdf")
    first = next(r for r in view["records"] if r["version"] == 1)
    assert names_in(disposition_of(first["certificate"]["url"]))[2] == f"保証証書_{number}_新規.pdf"  # in force again


def test_a_japanese_name_sent_as_it_is_is_refused_as_s3_refuses_it(cloud):
    storage.presigned_url("certificates/31063-00001J/v001.pdf", "保証証書.pdf")  # a raw `filename="保証証書.pdf"`
    assert [p for p in aws_fidelity.take_problems() if "ISO-8859-1" in p] != []
    storage.presigned_url("certificates/31063-00001J/v001.pdf", file_names.certificate("31063-00001J", "新規"))
    assert aws_fidelity.take_problems() == []


def test_the_header_carries_the_ascii_name_and_the_encoded_japanese_one():
    assert storage.content_disposition("inline", file_names.certificate("31073-00001M", "新規")) == (
        "inline; filename=\"certificate-31073-00001M-new.pdf\"; "
        "filename*=UTF-8''%E4%BF%9D%E8%A8%BC%E8%A8%BC%E6%9B%B8_31073-00001M_%E6%96%B0%E8%A6%8F.pdf")
    assert storage.content_disposition("attachment", "desk-20261206.csv") == 'attachment; filename="desk-20261206.csv"'
