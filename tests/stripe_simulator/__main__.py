"""Run the simulator: ``python -m tests.stripe_simulator --port 12111``."""

import argparse
import logging
import signal
import threading

from .simulator import StripeSimulator


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m tests.stripe_simulator",
        description="Stateful Stripe simulator (test mode).",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=12111, help="0 picks a free port")
    parser.add_argument("--webhook-url", help="endpoint for accounts without their own")
    parser.add_argument("--webhook-secret", help="whsec_... used to sign for --webhook-url")
    parser.add_argument(
        "--no-moto",
        action="store_true",
        help="accounts have no MOTO feature (process_config[moto] refused)",
    )
    parser.add_argument(
        "--latency-ms", type=int, default=0, help="added before each API request is executed"
    )
    parser.add_argument(
        "--action-timeout",
        type=float,
        default=300,
        help="seconds a reader waits for a card before failing",
    )
    parser.add_argument("--state-file", help="JSON file that keeps the accounts across restarts")
    parser.add_argument("--log-level", default="INFO")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )

    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    sim = StripeSimulator(
        host=args.host,
        port=args.port,
        webhook_url=args.webhook_url,
        webhook_secret=args.webhook_secret,
        moto_enabled=not args.no_moto,
        latency_ms=args.latency_ms,
        action_timeout_seconds=args.action_timeout,
        state_file=args.state_file,
    )
    sim.start()
    if args.webhook_url and not args.webhook_secret:
        logging.getLogger(__name__).info("Webhook signing secret: %s", sim.webhook_secret)
    try:
        stop.wait()
    finally:
        sim.stop()
        logging.getLogger(__name__).info("Stripe simulator stopped")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
