"""Benchmarks of the Stripe Terminal suite (issue 9): `make bench`; see tests/README.md."""
