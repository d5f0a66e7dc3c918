"""The orderer's desk over HTTP in the local cloud: the journey a 栃木県 clerk makes.

提出 by the contractor, a second guarantee registered by number + key, a 訂正 that the desk marks
and mails to the department, bulk 受領確認, the CSV in CP932 and the evidence ZIP with its signed
寄託記録; 足利市's clerk sees none of it.
"""
from __future__ import annotations

import csv
import io
import json
import zipfile

import pytest

from e2e_support import application_body, download, http, local_cloud, tokens, validate_signature, wait_for  # noqa: F401 (fixtures)

pytestmark = pytest.mark.e2e


def _published(http, tokens, **work) -> tuple[str, str]:
    body = application_body()
    body["work"].update(work)
    status, created = http.call("POST", "/applications", tokens["contractor"], body)
    assert status == 201, created
    status, issued = http.call("POST", f"/staff/applications/{created['application_id']}/issue", tokens["staff"])
    assert status == 202, issued
    number = issued["contract_number"]
    detail = wait_for(lambda: (lambda r: r[1] if r[1].get("auth_key") else None)(http.call("GET", f"/contracts/{number}", tokens["contractor"])))
    return number, detail["auth_key"]


def _rows(http, token, query: str = "") -> dict[str, dict]:
    status, page = http.call("GET", f"/desk/guarantees{query}", token)
    assert status == 200, page
    return {row["contract_number"]: row for row in page["items"]}


def test_a_clerk_works_the_desk_without_typing_a_key(local_cloud, http, tokens):
    cloud, _ = local_cloud
    contractor, staff = tokens["contractor"], tokens["staff"]
    clerk, works, ashikaga = tokens["orderer"], tokens["orderer-works"], tokens["orderer-ashikaga"]

    submitted, _ = _published(http, tokens, name="県道宇都宮線道路改良工事（その３）")
    by_key, key = _published(http, tokens, name="県道日光線舗装補修工事")

    # Issued in 栃木県's favour is not presented: the desk does not show it yet.
    assert submitted not in _rows(http, clerk) and by_key not in _rows(http, clerk)

    # 提出: the contractor chooses the department the registry names for 前払金保証.
    orderers = {o["orderer_id"]: o for o in http.call("GET", "/orderers")[1]["orderers"]}
    department = next(d for d in orderers["tochigi-pref"]["departments"] if "advance_payment" in d["products"])
    status, presented = http.call("POST", f"/contracts/{submitted}/submissions", contractor, {"department_id": department["department_id"]})
    assert status == 201 and presented["via"] == "submission", presented
    again = http.call("POST", f"/contracts/{submitted}/submissions", contractor, {"department_id": department["department_id"]})
    assert again[0] in (200, 201) and again[1]["presented_at"] == presented["presented_at"]  # a repeat answers the first

    # The department's clerk sees it at once, without a key; the second is registered by number + key.
    rows = _rows(http, works)
    assert rows[submitted]["via"] == "submission" and rows[submitted]["label"] == "新規" and rows[submitted]["needs_attention"]
    assert http.call("POST", "/verifications", clerk, {"contract_number": by_key, "auth_key": key})[0] == 200
    rows = _rows(http, works)
    assert {submitted, by_key} <= set(rows) and rows[by_key]["via"] == "key"
    status, one = http.call("GET", f"/desk/guarantees/{by_key}", works)
    assert status == 200 and one["certificate"]["contract_number"] == by_key and "auth_key" not in json.dumps(one)

    # Staff correct the first: the desk marks 訂正 with what it replaced, and it needs a look again.
    status, before = http.call("GET", f"/desk/guarantees/{submitted}", works)
    replaced = before["certificate"]
    revision = http.call("GET", f"/staff/contracts/{submitted}", staff)[1]["revision"]
    status, corrected = http.call("POST", f"/staff/contracts/{submitted}/versions/1/corrections", staff,
                                  {"deposit_bank": "みどり銀行 駅前支店", "reason": "預託金融機関の支店名の誤記"},
                                  headers={"If-Match": f'"{revision}"'})
    assert status == 202, corrected
    one = wait_for(lambda: (lambda a: a if a["certificate"]["version"] == corrected["version"] else None)(
        http.call("GET", f"/desk/guarantees/{submitted}", works)[1]))
    assert one["certificate"]["correction"]["replaces"] == {
        "version": replaced["version"], "issued_at": replaced["issued_at"], "sha256": replaced["sha256"]}
    assert one["certificate"]["label"] == "新規" and one["desk"]["corrected"] and one["desk"]["needs_attention"]
    assert "corrected" in [e["kind"] for e in http.call("GET", "/desk/events", works)[1]["items"] if e["contract_number"] == submitted]
    wait_for(lambda: [m for m in cloud.outbox() if department["email"] in json.dumps(m, ensure_ascii=False)
                      and submitted in (m.get("BodyText") or "") and "訂正" in json.dumps(m, ensure_ascii=False)])

    # Bulk 受領確認 of both; a second tick answers who and when instead of recording again.
    ticked = [{"contract_number": n, "version": _rows(http, works)[n]["version"]} for n in (submitted, by_key)]
    status, receipts = http.call("POST", "/desk/receipts", works, {"items": ticked})
    assert status in (200, 201) and [r["new"] for r in receipts["items"]] == [True, True], receipts
    status, repeated = http.call("POST", "/desk/receipts", works, {"items": ticked})
    assert [r["new"] for r in repeated["items"]] == [False, False]
    assert [r["received_at"] for r in repeated["items"]] == [r["received_at"] for r in receipts["items"]]
    rows = _rows(http, works)
    assert not rows[submitted]["needs_attention"] and not rows[by_key]["needs_attention"]

    # The CSV in CP932 decodes and holds both rows.
    status, export = http.call("GET", "/desk/export?format=csv&encoding=cp932", works)
    assert status == 200, export
    table = list(csv.reader(io.StringIO(download(export["url"]).decode("cp932"))))
    assert table[0][0] == "保証契約番号" and {submitted, by_key} <= {line[0] for line in table[1:]}
    assert http.call("GET", "/desk/export?format=csv&encoding=latin-1", works)[1]["errors"][0]["code"] == "unknown_encoding"

    # The evidence ZIP: the PDFs and a 寄託記録 whose signature pyHanko validates.
    status, evidence = http.call("GET", f"/desk/guarantees/{submitted}/evidence", works)
    assert status == 200, evidence
    archive = zipfile.ZipFile(io.BytesIO(download(evidence["url"])))
    names = archive.namelist()
    assert "寄託記録.pdf" in names and any(name.startswith("保証証書") for name in names), names
    status = validate_signature(archive.read("寄託記録.pdf"), (cloud.data_dir / "signing-root.pem").read_text(),
                       (cloud.data_dir / "tsa-root.pem").read_text())
    assert status.intact and status.valid and status.trusted

    # 足利市's clerk sees none of it.
    assert _rows(http, ashikaga) == {}
    for path in (f"/desk/guarantees/{submitted}", f"/desk/guarantees/{by_key}", f"/desk/guarantees/{submitted}/evidence"):
        assert http.call("GET", path, ashikaga)[0] == 404, path
    status, refused = http.call("POST", "/desk/receipts", ashikaga, {"items": ticked})
    assert status in (404, 422) and not any(r.get("new") for r in (refused.get("items") or []))
    assert not [e for e in http.call("GET", "/desk/events", ashikaga)[1]["items"] if e["contract_number"] in (submitted, by_key)]
