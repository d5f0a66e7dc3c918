"""The application aggregate in the table: the application item (in the staff queue and its
company's list) and the 認定調書 uploads an application names.

The use cases read it through these functions and never build a key or an index query."""
from __future__ import annotations

from collections.abc import Iterator

from .models import ApplicationItem, UploadItem, company_key


def get(application_id: str, consistent: bool = True) -> ApplicationItem:
    """The application (ApplicationItem.DoesNotExist if there is none)."""
    return ApplicationItem.get(*ApplicationItem.key(application_id), consistent_read=consistent)


def many(application_ids) -> list[ApplicationItem]:
    """The applications of `application_ids` that exist (BatchGetItem, eventually consistent: a list)."""
    keys = [ApplicationItem.key(i) for i in dict.fromkeys(application_ids)]
    return list(ApplicationItem.batch_get(keys)) if keys else []


def of_company(company_id: str) -> Iterator[ApplicationItem]:
    """A contractor company's applications, newest first (申込一覧)."""
    return ApplicationItem.by_company.query(
        company_key(company_id), ApplicationItem.gsi2sk.startswith(ApplicationItem.COMPANY_PREFIX), scan_index_forward=False
    )


def queue(issuer_id: str, status: str, limit: int, start: dict | None, condition=None):
    """One page of `issuer_id`'s staff queue of `status`, oldest first (the result's last_evaluated_key pages on)."""
    return ApplicationItem.queue.query(
        ApplicationItem.queue_key(status, issuer_id), limit=limit, last_evaluated_key=start, filter_condition=condition
    )


def upload(upload_id: str, consistent: bool = True) -> UploadItem:
    """An upload (UploadItem.DoesNotExist if there is none)."""
    return UploadItem.get(*UploadItem.key(upload_id), consistent_read=consistent)
