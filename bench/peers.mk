# Scorecard benchmark against optbinning and scorecardpy (issue 3). Included by the Makefile.
#   make bench-peers       create the peer environments in bench/.peers/ (idempotent)
#   make bench-scorecard   ours vs peers on HMEQ and the 1M synthetic set, one run
#                          (BENCH_SCORECARD_ARGS="--only hmeq" etc. to narrow it)
BENCH_PYTHON         ?= .venv/bin/python
BENCH_VENV_STAMP     ?= .venv/.installed
BENCH_SCORECARD_ARGS ?=

.PHONY: bench-peers bench-scorecard

bench-peers:
	bash bench/peers/setup.sh

bench-scorecard: $(BENCH_VENV_STAMP) bench-peers
	$(BENCH_PYTHON) bench/bench_scorecard.py $(BENCH_SCORECARD_ARGS)
