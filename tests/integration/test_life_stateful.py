"""Random lives of a guarantee, played through the real services on moto (hypothesis stateful).

Each life is a published 新規 of its own (one account for the run, one contract per life), then a
random sequence of what happens to a guarantee on AWS:

- the contractor applies for a 変更 and staff issue it (or reject it);
- staff 訂正 a version (shown or not), 変更取消 a change (shown or not), 解約 / 履行請求, rotate the key;
- the publication queue delivers the S3 arrivals late, twice and out of order, and the reconciler
  asks again for what is unfinished;
- a fault at one AWS call of an action (before or after it), after which the caller retries the
  same request as a user or the queue would; or a held publication delivered in the middle of an
  action (a race between the publisher and staff).

Actions the system refuses (409, 422) are fine: the life records the refusal and checks that
nothing changed. A small model of the records (which record takes which label, with which
content, once it has taken effect) is kept beside the system, and after every step the deposit
(寄託) must be right:

- the hash chain holds (`chain_valid` in the orderer's answer);
- the history the orderer sees is the model's valid chain, labelled 新規, 変更ー1, 変更ー2 … without gaps;
- the content in force (orderer's answer; the contract item when nothing awaits publication) is
  what the last valid record says;
- each shown certificate's bytes are the one object version whose digest the record holds, and
  its text prints the record's content (保証金額 as `50,000,000 円`, 保証期限, 預託金融機関, 工事名, label);
- after draining the publications nothing stays pending;
- the version in force has a notice printing the live key;
- nothing after the end (解約 / 履行請求) changes the content.

CI plays a few derandomized lives (reproducible); ESURETY_LIVES=500 (and ESURETY_STEPS,
ESURETY_SHRINK=1 to shrink a failure to its shortest sequence) plays more.
"""
from __future__ import annotations

import hashlib
import io
import json
import os
import re
import sys
from dataclasses import dataclass, field
from datetime import timedelta

import boto3
import botocore.session
import pytest
from hypothesis import HealthCheck, Phase, settings as hypothesis_settings, strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test
from pypdf import PdfReader

from conftest import CONTRACTOR_A, FROZEN_NOW, ORDERER_TOCHIGI, STAFF, LambdaContext, application_body, load_handler, sqs_event
from esurety import aws
from esurety.domain.japanese import clock
from esurety.domain.guarantee import lifecycle
from esurety.aws import contracts_repository, storage
from esurety.aws.models import ALL_MODELS, ContractItem, VersionItem
from esurety.domain.guarantee.certificates import CHANGE, CHANGE_CANCELLATION, CORRECTION, NEW, PUBLISHED
from esurety.config import settings
from esurety.documents import wareki_of
from esurety.domain.japanese.money import yen
from esurety.services import contracts

LIVES = int(os.environ.get("ESURETY_LIVES", "8"))
STEPS = int(os.environ.get("ESURETY_STEPS", "12"))
SHRINK = os.environ.get("ESURETY_SHRINK") == "1"

# What a life varies: the fields a 変更 or a 訂正 may move, as the model follows them.
FIELDS = ("guarantee_amount", "guarantee_deadline", "period_end", "deposit_bank", "work_name")

CHANGES = [
    {"guarantee": {"amount": 30_000_000}, "reason": "前払金の追加請求（増額）のため"},
    {"guarantee": {"amount": 10_000_000}, "reason": "請負金額の減額"},
    {"guarantee": {"amount": 20_000_000}, "reason": "当初の金額に戻す"},
    {"guarantee": {"deadline": "2025-09-30"}, "work": {"period_end": "2025-09-12"}, "reason": "工期延長のため"},
    {"guarantee": {"amount": 90_000_000}, "reason": "請負金額を超える増額"},  # 422: above the price
]
CORRECTIONS = [
    {"deposit_bank": "みどり銀行 駅前支店", "reason": "預託金融機関の支店名の誤記"},
    {"deposit_bank": "みどり銀行 本町支店", "reason": "支店名の再訂正"},
    {"work": {"name": "県道宇都宮線道路改良工事（その３）"}, "reason": "工事名の誤記"},
]
CANCEL_REASON = "変更契約が締結されなかったため"

# A fault at the n-th AWS call of an action, before or after it (it fires once; then the retries).
FAULTS = st.none() | st.tuples(st.integers(1, 24), st.sampled_from(["before", "after"]))
# A held publication delivered just before the n-th AWS call of an action (the publisher racing it).
RACES = st.none() | st.tuples(st.integers(1, 24), st.integers(0, 7))


# ----------------------------------------------------------------------------- AWS calls, hooked


class InjectedFault(Exception):
    """Not a ClientError: botocore does not retry it (as test_fault_matrix.py)."""


@dataclass
class Wire:
    """Counts the AWS calls of the action under way (every client: boto3's and PynamoDB's) and
    fires the armed fault or race at its call. Calls made by a race's delivery are not counted."""

    armed: bool = False
    count: int = 0
    depth: int = 0
    fault: tuple | None = None
    race: tuple | None = None
    fired: bool = False
    raced: bool = False

    def before(self, context, **kwargs):
        if not self.armed or self.depth:
            return
        self.count += 1
        context["life_call"] = self.count
        if self.race and self.race[0] == self.count:
            deliver, self.race = self.race[1], None
            self.depth += 1
            try:
                self.raced = deliver()
            finally:
                self.depth -= 1
        self._maybe(self.count, "before")

    def after(self, context, **kwargs):
        if self.armed and not self.depth and "life_call" in context:
            self._maybe(context["life_call"], "after")

    def _maybe(self, number: int, when: str):
        if self.fault and self.fault == (number, when):
            self.fault, self.fired = None, True
            raise InjectedFault(f"{when} AWS call #{number}")

    def arm(self, fault, race):
        self.armed, self.count, self.fault, self.race, self.fired, self.raced = True, 0, fault, race, False, False

    def disarm(self):
        self.armed, self.fault, self.race = False, None, None


def hook_clients(patch: pytest.MonkeyPatch, wire: Wire) -> None:
    original = botocore.session.Session.create_client

    def create_client(self, *args, **kwargs):
        client = original(self, *args, **kwargs)
        if _made_by_the_harness():
            return client  # the IAM harness's own look-ups (describe_key …) are no call of the code
        client.meta.events.register("before-call", wire.before)
        client.meta.events.register("after-call", wire.after)
        return client

    patch.setattr(botocore.session.Session, "create_client", create_client)
    forget_clients()


def _made_by_the_harness() -> bool:
    frame = sys._getframe(2)
    while frame is not None:
        if frame.f_code.co_name == "_plain_client" and frame.f_globals.get("__name__") == "aws_fidelity":
            return True
        frame = frame.f_back
    return False


def forget_clients() -> None:
    aws.client.cache_clear()
    for model in ALL_MODELS:
        model._connection = None


# ----------------------------------------------------------------------------- the model


@dataclass
class Record:
    """What the model knows of a record the system wrote."""

    version: int
    kind: str
    change_number: int | None
    target_version: int | None
    content: dict
    in_effect: bool


def replay(records: list[Record]) -> dict[int, Record]:
    """change number (0 for 新規) -> the record in force, as the decisions define it (independent of
    domain/guarantee/lifecycle.py): a 訂正 takes its target's place, a 変更取消 removes its target's label."""
    slots: dict[int, Record] = {}
    slot_of: dict[int, int] = {}
    for record in sorted(records, key=lambda r: r.version):
        if record.kind == NEW:
            slot = 0
        elif record.kind == CHANGE:
            slot = record.change_number
        else:
            slot = slot_of.get(record.target_version)
            if slot is None or slots.get(slot) is None or slots[slot].version != record.target_version:
                raise AssertionError(f"record {record.version} ({record.kind}) targets {record.target_version}, not in force")
            if record.kind == CHANGE_CANCELLATION:
                del slots[slot]
                continue
        slots[slot] = record
        slot_of[record.version] = slot
    return dict(sorted(slots.items()))


def fields_of(content: dict) -> dict:
    return {name: content.get(name) for name in FIELDS}


def changed(content: dict, body: dict) -> dict:
    after = dict(content)
    after["guarantee_amount"] = body.get("guarantee", {}).get("amount", after["guarantee_amount"])
    after["guarantee_deadline"] = body.get("guarantee", {}).get("deadline", after["guarantee_deadline"])
    after["period_end"] = body.get("work", {}).get("period_end", after["period_end"])
    return after


def corrected(content: dict, body: dict) -> dict:
    after = dict(content)
    after["deposit_bank"] = body.get("deposit_bank", after["deposit_bank"])
    after["work_name"] = body.get("work", {}).get("name", after["work_name"])
    return after


def pdf_text(data: bytes) -> str:
    return re.sub(r"\s+", "", "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages))


# ----------------------------------------------------------------------------- the run


@dataclass
class Tally:
    lives: int = 0
    steps: int = 0
    refused: int = 0
    faults: int = 0
    races: int = 0
    actions: dict = field(default_factory=dict)

    def line(self) -> str:
        kinds = ", ".join(f"{k} {v}" for k, v in sorted(self.actions.items()))
        return (f"played {self.lives} lives, {self.steps} steps ({self.refused} refused, {self.faults} faults fired, "
                f"{self.races} races): {kinds}")


class Run:
    """What every life of one test run shares: the account, the handlers, the hooks, the clock."""

    def __init__(self, api, handlers, wire: Wire):
        self.api, self.handlers, self.wire = api, handlers, wire
        self.now = FROZEN_NOW
        self.tally = Tally()
        self.reconciler = load_handler("functions/issue/reconcile.py", "esurety_fn_ReconcileFunction")
        self.sqs, self.s3 = boto3.client("sqs"), boto3.client("s3")
        self.texts: dict[tuple[str, str], str] = {}  # (key, sha256) -> text: objects never change


RUN: Run | None = None


class Life(RuleBasedStateMachine):
    """One guarantee from its published 新規 on."""

    def __init__(self):
        super().__init__()
        self.run = RUN
        self.run.tally.lives += 1
        self.run.now = FROZEN_NOW
        self.serial = 0
        self.held: list[dict] = []  # queue messages not yet delivered (a failed delivery stays)
        self.delivered: list[dict] = []  # every message delivered once, for late repeats
        self.pending_application: str | None = None
        self.ending: dict | None = None  # as recorded: kind, date, and the content in force then
        status, created = self.api.post("/applications", CONTRACTOR_A, application_body())
        assert status == 201, created
        status, issued = self.api.post(f"/staff/applications/{created['application_id']}/issue", STAFF)
        assert status == 202, issued
        self.number = issued["contract_number"]
        self.pull(drop_others=True)
        self.drain_all()
        content = fields_of(VersionItem.get(*VersionItem.key(self.number, 1)).content)
        self.records: dict[int, Record] = {1: Record(1, NEW, None, None, content, True)}
        self.key = self.overview()["auth_key"]
        self.generation = 1

    # ------------------------------------------------------------------------- plumbing

    @property
    def api(self):
        return self.run.api

    def step(self, name: str) -> None:
        self.run.tally.steps += 1
        self.run.tally.actions[name] = self.run.tally.actions.get(name, 0) + 1

    def overview(self) -> dict:
        status, detail = self.api.get(f"/contracts/{self.number}", CONTRACTOR_A)
        assert status == 200, detail
        return detail

    def pull(self, drop_others: bool = False) -> None:
        """Take what arrived on the publication queue into `held` (as the event source mapping
        would receive it, but delivered when the life says)."""
        url = settings().publication_queue_url
        while True:
            messages = self.run.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=30).get("Messages", [])
            if not messages:
                return
            for message in messages:
                self.run.sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
                if self.number_in(message["Body"]) or not drop_others:
                    self.held.append(json.loads(message["Body"]))

    def renewal_on_its_way(self, version: int) -> bool:
        """A held delivery about `version` (a republish request, or its certificate's arrival again)."""
        for body in self.held:
            text = json.dumps(body)
            if body.get("republish", {}).get("version") == version or f"{self.number}/v{version:03d}" in text:
                return True
        return False

    def number_in(self, body: str) -> bool:
        return getattr(self, "number", None) is not None and self.number in body

    def deliver(self, body: dict) -> bool:
        """One invocation of the publisher with one message; True unless it reported it failed."""
        try:
            result = self.run.handlers["publish"].lambda_handler(sqs_event(body), LambdaContext())
        except Exception:  # noqa: BLE001 - every record failed: Powertools raises, the message comes back
            return False
        return not result["batchItemFailures"]

    def drain_all(self) -> None:
        """Deliver everything held, the reconciler asking again for what stays unfinished, until
        the queue is empty (a message failing every time would fail the life)."""
        for _ in range(6):
            self.pull()
            while self.held:
                body = self.held.pop(0)
                if self.deliver(body):
                    self.delivered.append(body)
                else:
                    self.held.append(body)
                    break
            self.run.now += timedelta(minutes=10)  # the reconciler's schedule: after RECONCILE_AFTER_SECONDS
            self.run.reconciler.lambda_handler({"source": "aws.events", "detail-type": "Scheduled Event"}, LambdaContext())
            self.pull()
            if not self.held:
                return
        raise AssertionError(f"the publication queue does not drain: {self.held}")

    def snapshot(self) -> tuple:
        contract = ContractItem.get(*ContractItem.key(self.number), consistent_read=True)
        records = sorted(
            (int(r.version), r.kind, r.state, r.record_sha256, r.sha256) for r in contracts_repository.versions(self.number)
        )
        return (
            int(contract.revision or 0), int(contract.latest_version), json.dumps(contract.content, sort_keys=True, default=str),
            int(contract.key_generation or 1), contract.key_digest, json.dumps(contract.ending, sort_keys=True, default=str),
            contract.pending_change, tuple(records),
        )

    def act(self, name: str, call, fault=None, race=None) -> tuple[int, dict]:
        """The request, with the fault or race armed for its first attempt; a 5xx (or the fault
        as raised) is retried as the caller would, with the same request. A refusal changes nothing."""
        self.step(name)
        before = self.snapshot()
        if race is not None and self.held:
            index = race[1] % len(self.held)
            body = self.held[index]

            def racing_delivery():
                if self.deliver(body):
                    self.held.remove(body)
                    self.delivered.append(body)
                return True

            race = (race[0], racing_delivery)
        else:
            race = None
        self.run.wire.arm(fault, race)
        try:
            status, answer = call()
        except Exception as error:  # noqa: BLE001 - unhandled in the function: API Gateway answers 500
            status, answer = 500, {"error": repr(error)}
        finally:
            fired, raced = self.run.wire.fired, self.run.wire.raced
            self.run.wire.disarm()
        self.run.tally.faults += fired
        self.run.tally.races += raced
        for _ in range(3):
            if status < 500:
                break
            assert fired, f"{name}: {status} without a fault: {answer}"
            try:
                status, answer = call()
            except Exception as error:  # noqa: BLE001
                status, answer = 500, {"error": repr(error)}
        assert status < 500, f"{name}: a retry after the fault does not converge: {status} {answer}"
        if status in (409, 422, 404):
            self.run.tally.refused += 1
            if not raced:  # a race's publication may have changed what it published, nothing else
                assert self.snapshot() == before, f"{name} was refused ({status}) but changed the contract: {answer}"
        else:
            assert status in (200, 201, 202), (name, status, answer)
        self.pull()
        self.learn()
        return status, answer

    def if_match(self, **headers) -> dict:
        """`If-Match` with the revision the staff screen shows now (read before the action, so a
        retry after a fault sends what the first attempt sent, as the screen does)."""
        status, view = self.api.get(f"/staff/contracts/{self.number}", STAFF)
        assert status == 200, view
        return {**headers, "If-Match": f'"{view["revision"]}"'}

    def learn(self) -> None:
        """Which records have taken effect: the model follows the publications the system made."""
        stored = {int(r.version): r for r in contracts_repository.versions(self.number)}
        for version, record in self.records.items():
            if not record.in_effect and stored[version].state == PUBLISHED:
                record.in_effect = True

    def in_force_model(self) -> dict[int, Record]:
        return replay([r for r in self.records.values() if r.in_effect])

    def shown_versions(self) -> list[int]:
        return [r.version for r in self.in_force_model().values()]

    def today(self):
        return self.run.now.date()

    # ------------------------------------------------------------------------- rules

    @rule(body=st.sampled_from(CHANGES), issue=st.booleans(), fault=FAULTS, race=RACES)
    def change(self, body, issue, fault, race):
        """The contractor applies for a 変更 (retried with its Idempotency-Key) and, with `issue`,
        staff issue it at once; otherwise it waits for issue_change or reject_change."""
        self.serial += 1
        idempotency = f"life-change-{self.number}-{self.serial}"
        status, answer = self.act(
            "変更申込", lambda: self.api.post(f"/contracts/{self.number}/changes", CONTRACTOR_A, body,
                                              headers={"Idempotency-Key": idempotency}), None if issue else fault)
        if status == 201:
            self.pending_application = answer["application_id"]
            self.pending_body = body
            if issue:
                self.issue_change(fault, race)

    @precondition(lambda self: self.pending_application is not None)
    @rule(fault=FAULTS, race=RACES)
    def issue_change(self, fault, race):
        application = self.pending_application
        base = replay(list(self.records.values()))  # every record written: a change follows what is decided
        status, answer = self.act(
            "変更発行", lambda: self.api.post(f"/staff/applications/{application}/issue", STAFF), fault, race)
        if status == 202:
            self.pending_application = None
            version = answer["version"]
            if version not in self.records:
                content = changed(list(base.values())[-1].content, self.pending_body)
                self.records[version] = Record(version, CHANGE, answer["change_number"], None, content, False)
                self.learn()

    @precondition(lambda self: self.pending_application is not None)
    @rule(reason=st.sampled_from(["変更契約書の写しが未着です"]))
    def reject_change(self, reason):
        application = self.pending_application
        status, _ = self.act("変更却下", lambda: self.api.post(f"/staff/applications/{application}/reject", STAFF,
                                                            {"reason": reason}))
        if status == 200:
            self.pending_application = None

    @rule(which=st.integers(0, 7), hidden=st.booleans(), body=st.sampled_from(CORRECTIONS), fault=FAULTS, race=RACES)
    def correct(self, which, hidden, body, fault, race):
        """訂正 of a shown version (or, with `hidden`, of any version written: mostly refused)."""
        candidates = sorted(self.records) if hidden else self.shown_versions()
        target = candidates[which % len(candidates)]
        headers = self.if_match()
        status, answer = self.act(
            "訂正",
            lambda: self.api.post(f"/staff/contracts/{self.number}/versions/{target}/corrections", STAFF, body, headers=headers),
            fault, race)
        if status == 202 and answer["version"] not in self.records:
            version = answer["version"]
            content = corrected(self.records[target].content, body)
            self.records[version] = Record(version, CORRECTION, answer["change_number"], target, content, False)
            self.learn()

    @rule(which=st.integers(0, 7), hidden=st.booleans(), fault=FAULTS, race=RACES)
    def cancel_change(self, which, hidden, fault, race):
        """変更取消 of a shown change (not only the last: decided to be refused with 409 unless it is)."""
        candidates = sorted(self.records) if hidden else self.shown_versions()
        target = candidates[which % len(candidates)]
        headers = self.if_match()
        status, answer = self.act(
            "変更取消",
            lambda: self.api.post(f"/staff/contracts/{self.number}/versions/{target}/cancellation", STAFF, {"reason": CANCEL_REASON},
                                  headers=headers),
            fault, race)
        if status == 200 and answer["version"] not in self.records:
            version = answer["version"]
            self.records[version] = Record(version, CHANGE_CANCELLATION, None, target, {}, True)

    @rule(kind=st.sampled_from(["cancelled", "claimed"]), days=st.integers(0, 20), fault=FAULTS, race=RACES)
    def terminate(self, kind, days, fault, race):
        """解約 / 履行請求 (decided: 409 while a change or a correction awaits publication)."""
        body = {"kind": kind, "date": (self.today() + timedelta(days=days)).isoformat(), "reason": "工事の中止による解約"}
        in_force = list(self.in_force_model().values())[-1].content
        headers = self.if_match()
        status, answer = self.act(
            "解約・履行請求", lambda: self.api.post(f"/staff/contracts/{self.number}/termination", STAFF, body, headers=headers),
            fault, race)
        if status == 200 and self.ending is None:
            self.learn()
            self.ending = {"kind": kind, "date": body["date"], "content": list(self.in_force_model().values())[-1].content}
            if not self.run.wire.raced:
                assert self.ending["content"] == in_force

    @rule(fault=FAULTS, race=RACES)
    def rotate_key(self, fault, race):
        self.serial += 1
        headers = self.if_match(**{"Idempotency-Key": f"life-rotate-{self.number}-{self.serial}"})
        status, answer = self.act(
            "認証キー再発行",
            lambda: self.api.post(f"/staff/contracts/{self.number}/key-rotation", STAFF, headers=headers),
            fault, race)
        if status == 200:
            assert answer["key_generation"] == self.generation + 1, answer
            self.generation = answer["key_generation"]
            self.key = self.overview()["auth_key"]

    @rule(which=st.integers(0, 7), twice=st.booleans(), everything=st.booleans(), fault=FAULTS)
    def publications(self, which, twice, everything, fault):
        """The queue delivers one held message (any of them: out of order; `twice`: S3's
        at-least-once), or with `everything` all of them, the reconciler's requests too, after
        which nothing may be pending. (One rule: hypothesis favours rules without arguments.)"""
        if everything:
            self.drain()
            return
        if not self.held:
            return
        self.step("配信")
        body = self.held[which % len(self.held)]
        self.run.wire.arm(fault, None)
        try:
            ok = self.deliver(body)
        finally:
            self.run.tally.faults += self.run.wire.fired
            self.run.wire.disarm()
        if ok:
            self.held.remove(body)
            self.delivered.append(body)
            if twice:
                assert self.deliver(body), "a repeated delivery failed"
        self.pull()
        self.learn()

    @precondition(lambda self: self.delivered)
    @rule(which=st.integers(0, 7))
    def deliver_again_late(self, which):
        """A message delivered long ago comes again (S3 delivers at least once)."""
        self.step("再配信")
        assert self.deliver(self.delivered[which % len(self.delivered)]), "a late repeated delivery failed"
        self.pull()
        self.learn()

    def drain(self):
        """Every publication delivered, the reconciler's requests too: then nothing is pending."""
        self.step("全配信")
        self.drain_all()
        self.learn()
        pending = [f"v{int(v.version):03d}" for v in VersionItem.pending.query(VersionItem.PENDING) if v.contract_number == self.number]
        assert pending == [], f"still pending after the queue drained: {pending}"
        waiting = [r.version for r in self.records.values() if not r.in_effect]
        assert waiting == [], f"records that never took effect after the queue drained: {waiting}"

    @rule(days=st.integers(1, 10))
    def time_passes(self, days):
        self.step("日数経過")
        self.run.now += timedelta(days=days)

    # ------------------------------------------------------------------------- the deposit

    @invariant()
    def the_deposit_is_right(self):
        number = self.number
        model = self.in_force_model()
        shown = list(model.values())
        status, seen = self.api.post("/verifications", ORDERER_TOCHIGI, {"contract_number": number, "auth_key": self.key})
        assert status == 200, seen
        assert seen["chain_valid"] is True, f"the hash chain does not hold: {self.records_line()}"

        # The orderer's desk (that verification presented the guarantee there): never a 404, and
        # its row, its list and its history say the label in force.
        status, on_desk = self.api.get(f"/desk/guarantees/{number}", ORDERER_TOCHIGI)
        assert status == 200, on_desk
        assert (on_desk["desk"]["label"], on_desk["desk"]["version"]) == (seen["history"][-1]["label"], seen["current_version"]), on_desk["desk"]
        assert on_desk["history"] == [{k: v for k, v in h.items() if k in ("no", "label", "target", "version", "change_number", "issued_at")}
                                      | {k: v for k, v in d.items() if k in ("correction", "withdrawn", "sha256")}
                                      for h, d in zip(seen["history"], on_desk["history"])]
        # Each shown version names the digest of the PDF that is stored for it (the evidence file's check).
        stored = {int(r.version): r.sha256 for r in contracts_repository.versions(number)}
        assert [d["sha256"] for d in on_desk["history"]] == [stored[d["version"]] for d in on_desk["history"]]
        status, listed = self.api.get("/desk/guarantees", ORDERER_TOCHIGI, query={"q": number})
        assert status == 200 and [(r["contract_number"], r["label"]) for r in listed["items"]] == [(number, seen["history"][-1]["label"])], listed
        if seen["status"] is not None:
            assert on_desk["desk"]["status"] == seen["status"], (on_desk["desk"]["status"], seen["status"])

        # The history: the model's valid chain, 新規, 変更ー1 … without gaps.
        history = [(h["label"], h["version"]) for h in seen["history"]]
        assert [label for label, _ in history] == [lifecycle.label(k) for k in range(len(history))], f"labels with a gap: {history}"
        assert history == [(lifecycle.label(slot), record.version) for slot, record in model.items()], (
            f"the orderer's history {history} is not the valid chain {[(slot, r.version) for slot, r in model.items()]}; "
            f"{self.records_line()}")

        # The content in force.
        in_force = shown[-1]
        assert fields_of(seen["certificate"]) == in_force.content, f"in force: {fields_of(seen['certificate'])} != {in_force.content}"
        assert seen["current_version"] == in_force.version
        contract = ContractItem.get(*ContractItem.key(number), consistent_read=True)
        awaiting = [r for r in self.records.values() if not r.in_effect]
        if not awaiting:
            assert fields_of(contract.content) == in_force.content, (
                f"the contract item says {fields_of(contract.content)}, the version in force {in_force.content}")
        else:  # while a record is on its way the contract already holds what it will bring
            decided = list(replay(list(self.records.values())).values())[-1]
            assert fields_of(contract.content) == decided.content, (
                f"the contract item says {fields_of(contract.content)}, the last decided record {decided.content}")

        # Each shown certificate: the one stored object, its digest, its text.
        stored = {int(r.version): r for r in contracts_repository.versions(number)}
        bucket = settings().bucket_name
        for slot, record in model.items():
            item = stored[record.version]
            objects = self.run.s3.list_object_versions(Bucket=bucket, Prefix=item.s3_key).get("Versions", [])
            assert [o["Key"] for o in objects] == [item.s3_key], f"{item.s3_key}: {len(objects)} object versions"
            data = self.run.s3.get_object(Bucket=bucket, Key=item.s3_key, VersionId=objects[0]["VersionId"])["Body"].read()
            assert hashlib.sha256(data).hexdigest() == item.sha256, f"{item.s3_key}: the bytes are not the recorded digest"
            text = self.text(item.s3_key, item.sha256, data)
            content = record.content
            for printed in (yen(content["guarantee_amount"]), wareki_of(content["guarantee_deadline"]),
                            content["deposit_bank"], content["work_name"]):
                assert re.sub(r"\s+", "", printed) in text, f"{item.s3_key} does not print {printed}"
            if slot:
                assert lifecycle.label(slot) in text, f"{item.s3_key} does not say {lifecycle.label(slot)}"

        # The version in force has a notice printing the live key, as its record says (the link
        # serves the recorded one); only while a delivery that renews it is on its way (a rotation
        # retried after a stop hands it to the publisher) may it lack one, and then the contractor's
        # link says so (409 notice_not_renewed), never a 5xx.
        assert int(contract.key_generation or 1) == self.generation
        recorded = stored[in_force.version]
        if contracts.notice_generation_of(recorded) != self.generation:
            assert self.renewal_on_its_way(in_force.version), (
                f"the version in force (v{in_force.version:03d}) has no notice for key generation {self.generation} "
                f"and none is on its way; {self.records_line()}")
            status, answer = self.api.get(f"/contracts/{number}/notice", CONTRACTOR_A)
            assert (status, answer.get("code")) == (409, "notice_not_renewed"), (status, answer)
        else:
            notice = recorded.notice_s3_key
            data = self.run.s3.get_object(Bucket=bucket, Key=notice)["Body"].read()
            assert self.key in self.text(notice, hashlib.sha256(data).hexdigest(), data), f"{notice} does not print the live key"

        # The end: its status from its date on, and nothing after it changes the content.
        if self.ending is not None:
            assert in_force.content == self.ending["content"], (
                f"the content changed after the {self.ending['kind']}: {self.ending['content']} -> {in_force.content}; "
                f"{self.records_line()}")
            if self.ending["date"] <= self.today().isoformat():
                assert seen["status"] == ("terminated" if self.ending["kind"] == "cancelled" else "claimed"), seen["status"]

    def text(self, key: str, digest: str, data: bytes) -> str:
        if (key, digest) not in self.run.texts:
            self.run.texts[(key, digest)] = pdf_text(data)
        return self.run.texts[(key, digest)]

    def records_line(self) -> str:
        stored = sorted(contracts_repository.versions(self.number), key=lambda r: int(r.version))
        return "records: " + ", ".join(
            f"v{int(r.version)} {r.kind}{'ー' + str(int(r.change_number)) if r.change_number else ''}"
            f"{'→v' + str(int(r.target_version)) if r.target_version else ''} {r.state}" for r in stored)


def test_random_lives_keep_the_deposit_right(api, handlers, monkeypatch, capsys):
    global RUN
    wire = Wire()
    hook_clients(monkeypatch, wire)
    monkeypatch.setenv("RECONCILE_AFTER_SECONDS", "300")
    RUN = Run(api, handlers, wire)
    monkeypatch.setattr(clock, "now", lambda: RUN.now)
    phases = [Phase.explicit, Phase.reuse, Phase.generate] + ([Phase.shrink] if SHRINK else [])
    try:
        run_state_machine_as_test(
            Life,
            settings=hypothesis_settings(
                max_examples=LIVES, stateful_step_count=STEPS, deadline=None, derandomize=True, database=None,
                phases=phases, suppress_health_check=list(HealthCheck), print_blob=False,
            ),
            # Lives of at least half the steps: the first examples hypothesis tries are otherwise
            # mostly one or two steps long, and a run of a few lives would play little.
            _min_steps=STEPS // 2,
        )
    finally:
        forget_clients()
        with capsys.disabled():
            print(f"\nlives of a guarantee: {RUN.tally.line()}")
        RUN = None
