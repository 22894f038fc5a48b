# Repository-level tests: the Stripe simulator, cross-addon and end-to-end tests, benchmarks.
