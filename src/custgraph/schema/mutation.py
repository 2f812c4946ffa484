"""The root Mutation type, assembled from one class per area of admin actions.

An area's mutations live in their own module; add its class to the bases here.
"""

from __future__ import annotations

import strawberry

from custgraph.schema.access_mutations import AccountAccessMutations
from custgraph.schema.bulk_mutations import BulkMutations
from custgraph.schema.commercial_mutations import CommercialMutations
from custgraph.schema.identity_mutations import IdentityMutations
from custgraph.schema.lifecycle_mutations import LifecycleMutations
from custgraph.schema.money_mutations import MoneyMutations
from custgraph.schema.notes_mutations import NoteMutations
from custgraph.schema.record_mutations import RecordMutations
from custgraph.schema.webhook_mutations import WebhookMutations


@strawberry.type(description="Every action that changes something.")
class Mutation(
    IdentityMutations,
    LifecycleMutations,
    RecordMutations,
    MoneyMutations,
    CommercialMutations,
    NoteMutations,
    AccountAccessMutations,
    WebhookMutations,
    BulkMutations,
):
    pass
