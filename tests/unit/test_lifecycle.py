"""The guarantee's life as records: valid chain, labels, change numbers, status, hash chain."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from datetime import date

import pytest

from esurety.domain.guarantee import lifecycle
from esurety.domain.guarantee.certificates import CHANGE, CHANGE_CANCELLATION, CORRECTION, NEW
from esurety.domain.guarantee.lifecycle import LifecycleError

NUMBER = "31063-00001J"


@dataclass
class Record:
    version: int
    kind: str
    change_number: int | None = None
    target_version: int | None = None
    content: dict | None = None
    sha256: str = ""
    record_sha256: str | None = None
    previous_sha256: str | None = None


class Contract:
    """Appends records the way the services will: each one linked into the hash chain."""

    def __init__(self):
        self.records: list[Record] = []

    def add(self, kind: str, change_number: int | None = None, target: int | None = None) -> Record:
        record = Record(len(self.records) + 1, kind, change_number, target)
        record.sha256 = hashlib.sha256(f"pdf {record.version}".encode()).hexdigest()
        record.previous_sha256, record.record_sha256 = lifecycle.link(NUMBER, self.records, record)
        self.records.append(record)
        return record

    def change(self) -> Record:
        return self.add(CHANGE, lifecycle.next_change_number(self.records))

    def shown(self) -> list[tuple[int, str, str]]:
        return [(s.version, s.label, s.target) for s in lifecycle.valid_chain(self.records)]


def test_the_issue_journey_new_change_correction_change_cancellation():
    contract = Contract()
    contract.add(NEW)
    assert contract.shown() == [(1, "新規", "新規")]
    contract.change()  # 変更ー1 (増額)
    assert contract.shown() == [(1, "新規", "新規"), (2, "変更ー1", "変更")]
    contract.add(CORRECTION, target=2)  # 訂正 of 変更ー1: takes its place under the same label
    assert contract.shown() == [(1, "新規", "新規"), (3, "変更ー1", "変更")]
    contract.change()  # 変更ー2 (期限延長)
    assert contract.shown() == [(1, "新規", "新規"), (3, "変更ー1", "変更"), (4, "変更ー2", "変更")]
    contract.add(CHANGE_CANCELLATION, target=4)  # 変更取消 of 変更ー2
    assert contract.shown() == [(1, "新規", "新規"), (3, "変更ー1", "変更")]
    assert lifecycle.current(contract.records).version == 3
    assert lifecycle.chain_holds(NUMBER, contract.records)


def test_a_cancelled_change_number_is_given_to_the_next_change():
    contract = Contract()
    contract.add(NEW)
    contract.change()
    contract.add(CHANGE_CANCELLATION, target=2)
    assert lifecycle.next_change_number(contract.records) == 1
    again = contract.change()
    assert again.change_number == 1
    assert contract.shown() == [(1, "新規", "新規"), (4, "変更ー1", "変更")]
    assert lifecycle.chain_holds(NUMBER, contract.records)


def test_correcting_an_earlier_version_keeps_the_later_ones_linked():
    contract = Contract()
    contract.add(NEW)
    contract.change()
    contract.change()
    contract.add(CORRECTION, target=1)  # the 新規 had an error; 変更ー1 and 変更ー2 still stand
    assert contract.shown() == [(4, "新規", "新規"), (2, "変更ー1", "変更"), (3, "変更ー2", "変更")]
    assert lifecycle.chain_holds(NUMBER, contract.records)
    contract.add(CORRECTION, target=4)  # a correction of the correction
    assert [v for v, _, _ in contract.shown()] == [5, 2, 3]
    assert lifecycle.chain_holds(NUMBER, contract.records)


@pytest.mark.parametrize(
    "events, message",
    [
        ([(CHANGE_CANCELLATION, None, 1)], "targets no change"),  # 新規 is not a change
        ([(CORRECTION, None, 9)], "not in force"),
        ([(CHANGE, 1, None), (CORRECTION, None, 2), (CORRECTION, None, 2)], "not in force"),  # replaced already
        ([(NEW, None, None)], "one 新規"),
    ],
)
def test_events_the_records_do_not_allow_are_refused(events, message):
    records = [Record(1, NEW)]
    for number, (kind, change, target) in enumerate(events, start=2):
        records.append(Record(number, kind, change, target))
    with pytest.raises(LifecycleError, match=message):
        lifecycle.valid_chain(records)


def test_only_a_shown_version_can_be_corrected_or_cancelled():
    contract = Contract()
    contract.add(NEW)
    contract.change()
    contract.add(CORRECTION, target=2)
    with pytest.raises(LifecycleError):
        lifecycle.check_correctable(contract.records, 2)  # replaced: hidden now
    assert lifecycle.check_cancellable(contract.records, 3).label == "変更ー1"
    with pytest.raises(LifecycleError, match="only a change"):
        lifecycle.check_cancellable(contract.records, 1)


@pytest.mark.parametrize(
    "tamper",
    [
        lambda r: replace(r, sha256="0" * 64),  # another PDF
        lambda r: replace(r, previous_sha256="1" * 64),  # relinked
        lambda r: replace(r, kind=CHANGE, change_number=2),  # relabelled
    ],
)
def test_a_tampered_record_breaks_the_chain(tamper):
    contract = Contract()
    contract.add(NEW)
    contract.change()
    contract.change()
    contract.records[1] = tamper(contract.records[1])
    assert not lifecycle.chain_holds(NUMBER, contract.records)


def test_the_chain_checks_the_stored_pdfs_when_given_their_digests():
    contract = Contract()
    contract.add(NEW)
    contract.change()
    stored = {r.version: r.sha256 for r in contract.records}
    assert lifecycle.chain_holds(NUMBER, contract.records, stored)
    stored[2] = hashlib.sha256(b"other bytes").hexdigest()
    assert not lifecycle.chain_holds(NUMBER, contract.records, stored)


@pytest.mark.parametrize(
    "today, ending, expected",
    [
        (date(2025, 3, 31), None, "valid"),  # the deadline day is still covered
        (date(2025, 4, 1), None, "expired"),
        (date(2024, 9, 30), lifecycle.Ending("cancelled", date(2024, 10, 1)), "valid"),
        (date(2024, 10, 1), lifecycle.Ending("cancelled", date(2024, 10, 1)), "terminated"),
        (date(2026, 1, 1), lifecycle.Ending("claimed", date(2024, 10, 1)), "claimed"),
    ],
)
def test_status_is_computed_from_the_deadline_and_a_recorded_end(today, ending, expected):
    assert lifecycle.status(date(2025, 3, 31), today, ending) == expected
    assert lifecycle.STATUS_LABELS[expected] in {"有効", "期限満了", "解約", "履行請求"}


def test_only_the_last_change_can_be_cancelled_so_the_chain_holds():
    contract = Contract()
    contract.add(NEW)
    contract.change()
    contract.change()
    with pytest.raises(LifecycleError, match="変更ー2"):
        lifecycle.check_cancellable(contract.records, 2)  # 変更ー2 follows: withdraw it first
    assert lifecycle.check_cancellable(contract.records, 3).label == "変更ー2"
    contract.add(CHANGE_CANCELLATION, target=3)
    assert lifecycle.check_cancellable(contract.records, 2).label == "変更ー1"  # now the last
    contract.add(CHANGE_CANCELLATION, target=2)
    assert contract.shown() == [(1, "新規", "新規")]
    assert lifecycle.chain_holds(NUMBER, contract.records)
