"""The staff's search index on contracts written before it existed: a one-off backfill, no scan.

Every contract was issued from an application, and every issued application stays in its issuer's
queue of issued ones (gsi1 `APPLICATIONS#…#issued`); one whose issue stopped after its contract was
written still waits in the queue of submitted ones with its number reserved. So the contracts are
found by Querying those queues of every issuer of the registry, and each gets its index entries
(aws/contracts_repository.index_actions, from the content and records in force) on the condition
that its revision is still the one read: a staff action meanwhile wrote them itself. Running it
again writes the same values (docs/operations.md, "The staff's search index").
"""
from __future__ import annotations

from pynamodb.exceptions import UpdateError

from ...domain.guarantee import lifecycle
from ...aws import applications_repository, contracts_repository
from ...aws.models import ContractItem, condition_failed
from .. import issuers
from . import applications


def _queues(issuer_id: str):
    for status in (applications.ISSUED, applications.SUBMITTED):
        start = None
        while True:
            page = applications_repository.queue(issuer_id, status, 100, start)
            items = list(page)
            yield from items
            start = page.last_evaluated_key
            if not start:
                break


def index_one(number: str) -> bool:
    """Write the contract's index entries; False if there is no such contract."""
    for _ in range(5):
        try:
            contract = contracts_repository.get(number)
        except ContractItem.DoesNotExist:
            return False
        chain = lifecycle.valid_chain(contracts_repository.versions(number))
        content = chain[-1].record.content if chain else contract.content
        label = chain[-1].label if chain else lifecycle.label(None)
        read = contracts_repository.revision(contract)
        unchanged = ContractItem.revision == read
        if not read:  # a contract no staff action touched may have no revision stored
            unchanged = unchanged | ContractItem.revision.does_not_exist()
        try:
            contract.update(actions=contracts_repository.index_actions(contract, content, label), condition=unchanged)
            return True
        except UpdateError as error:
            if not condition_failed(error):
                raise
        # A staff action won the race (and wrote the entries itself): read it again.
    return True


def backfill() -> dict[str, int]:
    """Index every contract of every issuer; the count per issuer."""
    counts = {}
    for issuer in issuers.list_issuers():
        seen, done = set(), 0
        for item in _queues(issuer.issuer_id):
            number = item.contract_number
            if not number or number in seen or applications.kind_of(item) == applications.CHANGE_KIND:
                continue
            seen.add(number)
            done += index_one(number)
        counts[issuer.issuer_id] = done
    return counts
