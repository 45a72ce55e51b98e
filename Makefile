# The two commands a newcomer needs: `make run` and `make test` (see README.md).
.PHONY: run test setup db bench bench-inputs fuzz clean-db

run:
	@scripts/dev.sh run

test:
	@scripts/dev.sh test $(PYTEST_ARGS)

setup:
	@scripts/dev.sh system test && scripts/dev.sh venv

db:
	@scripts/dev.sh db

# `make bench BENCH_ARGS="--sizes small,middle,large"`; wrk (Debian package) is installed if missing.
bench:
	@command -v wrk >/dev/null || { [ "$$(id -u)" -eq 0 ] && apt-get install -y -qq wrk || sudo apt-get install -y -qq wrk; }
	@scripts/dev.sh venv && DATABASE_URL=$$(scripts/dev.sh db) .venv/bin/python bench/match.py $(BENCH_ARGS)

# The expensive inputs of issue 15 (a huge outline, 20,000 territories), timed once.
bench-inputs:
	@scripts/dev.sh venv && DATABASE_URL=$$(scripts/dev.sh db) .venv/bin/python bench/expensive_inputs.py $(BENCH_ARGS)

# schemathesis, deeper than in `make test`: unseeded, every phase for every role.
fuzz:
	@FUZZ_SEED=0 FUZZ_EXAMPLES=$${FUZZ_EXAMPLES:-50} FUZZ_COVERAGE=all scripts/dev.sh test tests/test_fuzz_api.py -s $(PYTEST_ARGS)
