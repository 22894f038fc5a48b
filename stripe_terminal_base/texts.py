# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Texts sent to Stripe within its length limits."""


def join_within(names, limit, more):
    """`names` joined by commas in at most `limit` characters. The names that do not fit are
    left out and counted at the end by `more(count)` (a translated "and 12 more")."""
    names = list(names)
    text = ", ".join(names)
    if len(text) <= limit:
        return text
    for kept in range(len(names) - 1, -1, -1):
        shown = ", ".join(names[:kept])
        tail = more(len(names) - kept)
        text = f"{shown}, {tail}" if shown else tail
        if len(text) <= limit:
            return text
    return text[:limit]
