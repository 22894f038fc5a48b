"""Reading objects back: ``expand[]``, list pagination and the search language."""

import re

from . import errors, objects, payments

# Fields Stripe leaves out of an object unless asked for with expand[]: kind -> field -> builder.
INCLUDABLE = {"charge": {"refunds": payments.refunds_list}}

# Expansion ---------------------------------------------------------------------


def render(account, obj, expand=None):
    """A copy of ``obj`` with the ``expand[]`` paths replaced by objects."""
    result = objects.snapshot(obj)
    for path in expand or ():
        _expand(account, result, path.split("."), path)
    return result


def _expand(account, node, segments, path):
    if node.get("object") in ("list", "search_result"):
        if segments[0] != "data":
            raise errors.invalid_request(
                f"This property cannot be expanded ({path}).", param="expand"
            )
        for item in node["data"]:
            if segments[1:]:
                _expand(account, item, segments[1:], path)
        return
    name = segments[0]
    include = INCLUDABLE.get(node.get("object"), {}).get(name)
    if include and name not in node:
        node[name] = include(account, node)
    if name not in node:
        raise errors.invalid_request(
            f"This property cannot be expanded ({path}). You may want to try "
            f"expanding '{node.get('object')}' fields instead.",
            param="expand",
        )
    value = node[name]
    target = account.find(value) if isinstance(value, str) else None
    if value is not None and not isinstance(value, dict) and target is None:
        raise errors.invalid_request(f"This property cannot be expanded ({path}).", param="expand")
    if target is not None:
        value = node[name] = objects.snapshot(target)
    if segments[1:] and isinstance(value, dict):
        _expand(account, value, segments[1:], path)


# Lists --------------------------------------------------------------------------


def page(account, items, params, url, kind):
    """Stripe list semantics: newest first, ``limit``/``starting_after``/``ending_before``."""
    newest_first = list(reversed(items))
    limit = params.get("limit") or 10
    position_ids = [item["id"] for item in newest_first]
    if params.get("starting_after"):
        cursor = params["starting_after"]
        if cursor not in position_ids:
            raise errors.resource_missing(kind, cursor, "starting_after")
        start = position_ids.index(cursor) + 1
        chunk = newest_first[start : start + limit]
        has_more = start + limit < len(newest_first)
    elif params.get("ending_before"):
        cursor = params["ending_before"]
        if cursor not in position_ids:
            raise errors.resource_missing(kind, cursor, "ending_before")
        end = position_ids.index(cursor)
        chunk = newest_first[max(0, end - limit) : end]
        has_more = end - limit > 0
    else:
        chunk = newest_first[:limit]
        has_more = len(newest_first) > limit
    envelope = objects.list_envelope(chunk, url, has_more)
    return render(account, envelope, params.get("expand"))


def created_matches(created, condition):
    if not condition:
        return True
    checks = {
        "eq": created.__eq__,
        "gt": created.__gt__,
        "gte": created.__ge__,
        "lt": created.__lt__,
        "lte": created.__le__,
    }
    return all(checks[op](value) for op, value in condition.items() if value is not None)


# Search -------------------------------------------------------------------------
# A subset of https://docs.stripe.com/search: ``field:value``, ``field~value``
# (substring), ``-field:value`` (negation), numeric ``> < >= <=``,
# ``metadata['key']:value``, clauses joined by AND or by OR (not both).

_CLAUSE = re.compile(
    r"""\s*(?P<neg>-)?
        (?P<field>[a-z_]+)(?:\[(?P<q>['"])(?P<key>[^'"]+)(?P=q)\])?
        \s*(?P<op>:|~|>=|<=|>|<)\s*
        (?:(?P<vq>['"])(?P<quoted>(?:\\.|(?!(?P=vq)).)*)(?P=vq)|(?P<bare>[^\s'"]+))
        \s*""",
    re.VERBOSE,
)
_JOIN = re.compile(r"\s+(AND|OR)\s+")


def parse_search(query, fields, resource):
    """Parse ``query``; return (joiner, clauses) or raise Stripe's error."""
    parts = _JOIN.split(query.strip())
    clauses, joiners = [], set()
    for index, part in enumerate(parts):
        if index % 2:
            joiners.add(part)
            continue
        match = _CLAUSE.fullmatch(part)
        if not match:
            raise errors.invalid_request(
                f"We were unable to parse your search query. Try using the "
                f'format `metadata["key"]:"value"` to query for metadata or '
                f'key:"value" to query for other fields. ({part!r})',
                param="query",
            )
        field = match.group("field")
        if field not in fields:
            raise errors.invalid_request(
                f"Field `{field}` is an unsupported search field for resource "
                f"`{resource}`. See http://stripe.com/docs/search#query-fields-"
                f"for-{resource.replace('_', '-')} for a list of supported fields.",
                param="query",
            )
        value = match.group("quoted")
        if value is None:
            value = match.group("bare")
        else:
            value = re.sub(r"\\(.)", r"\1", value)
        clauses.append(
            {
                "negate": bool(match.group("neg")),
                "field": field,
                "key": match.group("key"),
                "op": match.group("op"),
                "value": value,
            }
        )
    if len(joiners) > 1:
        raise errors.invalid_request("Search queries can't combine AND and OR.", param="query")
    if len(clauses) > 10:
        raise errors.invalid_request("Search queries are limited to 10 clauses.", param="query")
    return (joiners.pop() if joiners else "AND"), clauses


def _clause_matches(obj, clause):
    field, op, wanted = clause["field"], clause["op"], clause["value"]
    if field == "metadata":
        actual = obj["metadata"].get(clause["key"])
    else:
        actual = obj.get(field)
    if actual is None:
        matched = False
    elif op in (">", "<", ">=", "<="):
        try:
            number = float(wanted)
        except ValueError:
            raise errors.invalid_request(
                f"Field `{field}` needs a number for `{op}`.", param="query"
            ) from None
        matched = {
            ">": actual > number,
            "<": actual < number,
            ">=": actual >= number,
            "<=": actual <= number,
        }[op]
    elif op == "~":
        if len(wanted) < 3:
            raise errors.invalid_request(
                "Substring (~) search needs at least 3 characters.", param="query"
            )
        matched = wanted.lower() in str(actual).lower()
    else:
        matched = str(actual) == wanted
    return matched != clause["negate"]


def search(account, items, params, fields, resource, url):
    joiner, clauses = parse_search(params["query"], fields, resource)
    combine = all if joiner == "AND" else any
    found = [
        obj
        for obj in reversed(items)
        if account.searchable(obj) and combine(_clause_matches(obj, clause) for clause in clauses)
    ]
    limit = params.get("limit") or 10
    start = 0
    if params.get("page"):
        token = params["page"]
        if not token.startswith("page_") or not token[5:].isdigit():
            raise errors.invalid_request("Invalid page token.", param="page")
        start = int(token[5:])
    chunk = found[start : start + limit]
    has_more = start + limit < len(found)
    envelope = objects.search_envelope(
        chunk, url, has_more, f"page_{start + limit}" if has_more else None
    )
    return render(account, envelope, params.get("expand"))
