"""The request a handler serves: its account and what events must carry."""


class Context:
    def __init__(self, sim, account, request_id=None, idempotency_key=None, api_version=None):
        self.sim = sim
        self.account = account
        self.request_id = request_id
        self.idempotency_key = idempotency_key
        self.api_version = api_version or sim.api_version

    def emit(self, event_type, obj, previous_attributes=None):
        return self.sim.emit_event(self, event_type, obj, previous_attributes)

    def get(self, kind, object_id, param="id"):
        return self.account.get(kind, object_id, param)

    def background(self):
        """A context for work that happens later, outside any request."""
        return Context(self.sim, self.account, api_version=self.api_version)
