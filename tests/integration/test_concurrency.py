"""Fifty staff issues at once: fifty distinct contract numbers, no gaps.

Threads call the issuance service (each Lambda invocation runs it once per process; the
Powertools resolver keeps the current event on the app, so it is not shared across threads).
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from conftest import CONTRACTOR_A, application_body
from esurety.services.commands import issuance

# DynamoDB applies each request atomically; moto's backend, shared by threads here, is made to (tests/conftest.py).
pytestmark = pytest.mark.usefixtures("atomic_requests")


def test_fifty_concurrent_issues_get_distinct_numbers(api):
    ids = [api.post("/applications", CONTRACTOR_A, application_body())[1]["application_id"] for _ in range(50)]
    with ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(issuance.issue, ids))
    numbers = [issued["contract_number"] for issued in results]
    assert len(set(numbers)) == 50
    assert sorted(int(n[6:11]) for n in numbers) == list(range(1, 51))


def test_the_same_application_issued_concurrently_gets_one_number(api):
    application_id = api.post("/applications", CONTRACTOR_A, application_body())[1]["application_id"]
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda _: issuance.issue(application_id), range(8)))
    assert len({issued["contract_number"] for issued in results}) == 1
    assert {issued["state"] for issued in results} == {"rendered"}
