"""What the API answers, one model per shape: the routes declare them as their return type, so
docs/openapi.json describes every success answer and Powertools checks each answer against its
model before it leaves (a mismatch is our bug: 500, never sent as it is).

One module per concern: `documents` (links), `certificates` (a certificate's content and the
chain it belongs to, shared by the contractor's, the orderer's and the staff's answers),
`applications`, `contracts` (the contractor's), `staff`, `verification` (the orderer's).

The services keep building plain dicts; these models only describe and check them. A key a
service leaves out stays out of the answer (`Answer` sends the keys it was given, not defaults).
"""
from __future__ import annotations

from pydantic import BaseModel, ConfigDict, model_serializer


class Answer(BaseModel):
    """An answer's object: no key beyond the model's, and none added that the service left out."""

    model_config = ConfigDict(extra="forbid")

    @model_serializer(mode="wrap")
    def _as_given(self, handler):
        data = handler(self)
        return {k: v for k, v in data.items() if k in self.model_fields_set}
