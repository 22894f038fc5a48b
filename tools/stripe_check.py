"""`make stripe-check`: the suite's Stripe-facing scenarios against Stripe's test mode.

    STRIPE_TEST_SECRET_KEY=sk_test_... make stripe-check [ARGS="--country CA"]

It needs a test secret key (a live key is refused: the check makes and deletes a reader, a
location, customers, payments and refunds) and an account where Terminal is available; it
registers a simulated reader, runs every scenario of tests/stripe_check (the ones
`make test` runs on the simulator), deletes what it made, and exits 1 if one failed.
"""

import argparse
import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def test_key(environ):
    key = (environ.get("STRIPE_TEST_SECRET_KEY") or "").strip()
    if not key.startswith(("sk_test_", "rk_test_")):
        sys.exit(
            "stripe-check: set STRIPE_TEST_SECRET_KEY to a test secret key (sk_test_... or "
            "rk_test_...); live keys are refused."
        )
    return key


def main(argv):
    from tests.stripe_check import LOCAL_CURRENCIES, SCENARIOS, Check, run

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--country", default="US", choices=sorted(LOCAL_CURRENCIES))
    parser.add_argument("--api-base", default=None, help="another API address (a simulator)")
    parser.add_argument("--timeout", type=float, default=60.0)
    parser.add_argument(
        "--webhook-secret",
        default=os.environ.get("STRIPE_WEBHOOK_SECRET"),
        help="the signing secret `stripe listen` prints: webhooks are then received",
    )
    parser.add_argument("--webhook-port", type=int, default=8765)
    parser.add_argument("scenario", nargs="*", help="only these (default: all)")
    args = parser.parse_args(argv)
    unknown = set(args.scenario) - {s.__name__ for s in SCENARIOS}
    if unknown:
        print(f"stripe-check: no scenario {', '.join(sorted(unknown))}", file=sys.stderr)
        return 2
    check = Check(
        test_key(os.environ),
        api_base=args.api_base,
        country=args.country,
        timeout=args.timeout,
        webhook_secret=args.webhook_secret,
        port=args.webhook_port,
    )
    if check.webhooks:
        print(f"stripe-check: receiving webhooks on {check.webhooks.url}")
    results = run(check, names=args.scenario or None)
    failed = [name for name, (status, _detail) in results.items() if status == "failed"]
    print(f"stripe-check: {len(results) - len(failed)} passed, {len(failed)} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
