"""Accounts and their objects.

Every secret key ``sk_test_...`` is an account of its own, created on first
use.  An account keeps its Stripe objects by kind, in creation order, plus a
few facts Stripe knows but never shows (``hidden``: e.g. which test card a
payment method came from).  The registry also remembers which account owns
each object ID, so control calls can address a reader or a refund by ID alone.
"""

import time

from . import errors, ids

KINDS = (
    "terminal.location",
    "terminal.reader",
    "customer",
    "payment_method",
    "payment_intent",
    "charge",
    "refund",
    "setup_intent",
    "setup_attempt",
    "event",
    "webhook_endpoint",
)

# How Stripe names each kind in "No such ..." messages.
LABELS = {
    "terminal.location": "location",
    "terminal.reader": "terminal reader",
    "customer": "customer",
    "payment_method": "PaymentMethod",
    "payment_intent": "payment_intent",
    "charge": "charge",
    "refund": "refund",
    "setup_intent": "setupintent",
    "setup_attempt": "setup attempt",
    "event": "event",
    "webhook_endpoint": "webhook endpoint",
}


class Account:
    def __init__(self, api_key, owners):
        self.api_key = api_key
        self._owners = owners
        self.objects = {kind: {} for kind in KINDS}
        self.hidden = {}
        self.moto_enabled = None  # None: the simulator's default
        self.webhook_url = None
        self.webhook_secret = None
        # Where the account is (Terminal takes its local currency only), and the API version
        # Stripe uses for it when a request or an endpoint names none (the Dashboard's).
        self.country = "US"
        self.default_api_version = None  # None: the newest version, versions.LATEST
        # Payment method types not activated on the account: allowed_payment_method_types
        # drops them as it drops those that do not apply.
        self.disabled_payment_method_types = []
        # Seconds before a write shows in search (Stripe: under a minute, up to an hour
        # during outages); lists and retrieves are always up to date.
        self.search_lag_seconds = 0

    def add(self, obj, **hidden):
        self.objects[obj["object"]][obj["id"]] = obj
        self._owners[obj["id"]] = self
        self.hidden[obj["id"]] = dict(hidden, written_at=time.time())
        return obj

    def written(self, object_id):
        """Note a write of the object: search sees it only after the lag."""
        self.remember(object_id, written_at=time.time())

    def searchable(self, obj):
        if not self.search_lag_seconds:
            return True
        written_at = self.secret(obj["id"], "written_at", 0)
        return written_at <= time.time() - self.search_lag_seconds

    def get(self, kind, object_id, param="id"):
        obj = self.objects[kind].get(object_id) if isinstance(object_id, str) else None
        if obj is None:
            raise errors.resource_missing(LABELS[kind], object_id, param)
        return obj

    def find(self, object_id):
        kind = ids.kind_of(object_id)
        return self.objects[kind].get(object_id) if kind else None

    def all(self, kind):
        return list(self.objects[kind].values())

    def secret(self, object_id, name, default=None):
        return self.hidden.get(object_id, {}).get(name, default)

    def remember(self, object_id, **facts):
        self.hidden.setdefault(object_id, {}).update(facts)


class Registry:
    def __init__(self):
        self.accounts = {}
        self.owners = {}

    def account(self, api_key):
        account = self.accounts.get(api_key)
        if account is None:
            account = self.accounts[api_key] = Account(api_key, self.owners)
        return account

    def owner(self, object_id, kind):
        account = self.owners.get(object_id)
        if account is None or object_id not in account.objects[kind]:
            raise errors.resource_missing(LABELS[kind], object_id)
        return account

    def clear(self):
        self.accounts.clear()
        self.owners.clear()
