# The README's commands. Each one builds what it needs first (virtualenv, PostgreSQL).
.PHONY: demo test lint env quicktest bench stripe-check
demo:
	python3 tools/dev.py demo
test:
	python3 tools/dev.py test
lint:
	python3 tools/dev.py lint
env:
	python3 tools/dev.py env
quicktest:
	python3 tools/dev.py quicktest $(ARGS)
bench:
	python3 tests/benchmarks/run.py $(ARGS)
stripe-check:
	python3 tools/dev.py stripe-check $(ARGS)
