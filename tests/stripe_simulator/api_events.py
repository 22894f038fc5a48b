"""Events and webhook endpoints."""

from . import errors, ids, objects, queries, versions
from .params import merge_metadata


def retrieve_event(ctx, params, id):  # noqa: A002 - Stripe's path parameter name
    return queries.render(ctx.account, ctx.get("event", id, "id"), params.get("expand"))


def list_events(ctx, params):
    types = set(params.get("types") or ())
    if params.get("type"):
        types.add(params["type"])

    def wanted(event_type):
        if not types:
            return True
        return any(
            event_type == t or (t.endswith("*") and event_type.startswith(t[:-1])) for t in types
        )

    found = [
        e
        for e in ctx.account.all("event")
        if wanted(e["type"]) and queries.created_matches(e["created"], params.get("created"))
    ]
    return queries.page(ctx.account, found, params, "/v1/events", "event")


def create_webhook_endpoint(ctx, params):
    if not params["url"].startswith(("http://", "https://")):
        raise errors.invalid_request(
            "Invalid URL: the URL must be http(s).", code="url_invalid", param="url"
        )
    if params.get("api_version") and not versions.known(params["api_version"]):
        raise errors.invalid_request(
            f"Invalid API version: {params['api_version']}", param="api_version"
        )
    endpoint = ctx.account.add(objects.webhook_endpoint(params))
    secret = f"whsec_{ids.random_token(32)}"
    ctx.account.remember(endpoint["id"], secret=secret)
    # The secret is shown once, in the answer to the creation.
    return dict(queries.render(ctx.account, endpoint, params.get("expand")), secret=secret)


def retrieve_webhook_endpoint(ctx, params, webhook_endpoint):
    return queries.render(
        ctx.account, ctx.get("webhook_endpoint", webhook_endpoint), params.get("expand")
    )


def update_webhook_endpoint(ctx, params, webhook_endpoint):
    obj = ctx.get("webhook_endpoint", webhook_endpoint)
    for name in ("url", "enabled_events", "description"):
        if params.get(name) is not None:
            obj[name] = params[name]
    if "disabled" in params:
        obj["status"] = "disabled" if params["disabled"] else "enabled"
    if "metadata" in params:
        obj["metadata"] = merge_metadata(obj["metadata"], params["metadata"])
    return queries.render(ctx.account, obj, params.get("expand"))


def delete_webhook_endpoint(ctx, params, webhook_endpoint):
    obj = ctx.get("webhook_endpoint", webhook_endpoint)
    del ctx.account.objects["webhook_endpoint"][webhook_endpoint]
    return objects.deleted(obj)


def list_webhook_endpoints(ctx, params):
    return queries.page(
        ctx.account,
        ctx.account.all("webhook_endpoint"),
        params,
        "/v1/webhook_endpoints",
        "webhook endpoint",
    )


def endpoint_targets(account, event_type):
    """(url, secret, API version) of each of the account's endpoints that wants
    ``event_type``."""
    targets = []
    for endpoint in account.all("webhook_endpoint"):
        events = endpoint["enabled_events"]
        if endpoint["status"] == "enabled" and ("*" in events or event_type in events):
            targets.append(
                (
                    endpoint["url"],
                    account.secret(endpoint["id"], "secret"),
                    endpoint["api_version"] or account_version(account),
                )
            )
    return targets


def account_version(account):
    return account.default_api_version or versions.LATEST
