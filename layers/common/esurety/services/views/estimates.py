"""保証料（見込み）: the fee an application would be charged if issued today, shown on the Net Desk's
確認画面 before 申込む.

The application is judged exactly as POST /applications judges it (commands/applications.judge: the
same 422 with every problem and the same codes), and nothing is stored. The fee is the same
computation as the 保証料計算書 rendered at issue (fees.quote on the issuer's table, from the issue
date to the 保証期限, both included): issued today, the certificate's statement carries this fee.
"""
from __future__ import annotations

from ...domain.application.schemas import ApplicationRequest
from ...domain.catalogue import fees, products
from ...domain.catalogue.fees import percent
from ...domain.identity import Caller
from ...domain.japanese import clock
from .. import issuers
from ..commands import applications


def estimate(caller: Caller, request: ApplicationRequest) -> dict:
    judged = applications.judge(caller, request)
    table = fees.table_of(judged.issuer)
    today = clock.today()
    quote = fees.quote(request.product, request.guarantee.amount, today, request.guarantee.deadline, table)
    return {
        "fee": quote.fee,
        "days": quote.days,
        "day_basis": quote.day_basis,
        "issue_date": quote.issue_date.isoformat(),
        "deadline": quote.deadline.isoformat(),
        "amount": quote.amount,
        "table_name": quote.table_name or "",
        "sample": quote.sample,
        "lines": [
            {
                "band_label": line.band_label,
                "part": line.part,
                "annual_rate_percent": percent(line.annual_rate_percent),
                "fee": line.fee,
                "formula": quote.formula(line),
            }
            for line in quote.lines
        ],
        "computed_fee": quote.computed_fee,
        "minimum_fee": quote.minimum_fee,
        "minimum_applied": quote.minimum_applied,
        "breakdown": list(quote.breakdown),
        "issuer": issuers.ref(judged.issuer),
        "product_label": products.label(request.product),
        # The application as it would be stored (dates ISO, amounts in yen): the 確認画面 shows
        # what will be sent, whichever way a date or an amount was typed.
        "request": judged.request.model_dump(mode="json"),
    }
