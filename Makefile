# Every target runs inside the project's own venv, built by `make setup` from pyproject.toml's
# pinned dev extra. PY picks the interpreter that builds the venv.
PY ?= python3
VENV ?= .venv
BIN := $(abspath $(VENV))/bin
# buf runs its local plugins (tools/protoc_gen_grpc_tools.py, protoc-gen-mypy) from PATH.
export PATH := $(BIN):$(PATH)
SHARED ?= ../shared
LINT_PATHS := $(wildcard src tests tools examples benchmarks)
GENERATED_MODULES := $(foreach s,tokens domains connections directories sessions errdetails,\
	--import scalekit_grpc.v1.$(s).$(s)_pb2 --import scalekit_grpc.v1.$(s).$(s)_pb2_grpc)

.PHONY: setup gen check-gen lint wirecheck check-wheel test demo bench bench-full soak clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $@

gen: setup
	rm -rf build/gen
	$(BIN)/buf generate
	$(BIN)/python tools/place_generated.py build/gen gen

check-gen: gen
	@git diff --exit-code --stat -- gen/ || { echo "gen/ is stale: run 'make gen' and commit"; exit 1; }
	@test -z "$$(git status --porcelain -- gen/)" || { git status --short -- gen/; echo "gen/ has untracked output"; exit 1; }

lint: setup
	$(BIN)/buf lint
	$(BIN)/ruff check $(LINT_PATHS)
	$(BIN)/ruff format --check $(LINT_PATHS)
	$(BIN)/mypy src

wirecheck: setup
	@if [ -f $(SHARED)/tools/wirecheck.py ]; then \
		$(BIN)/python $(SHARED)/tools/wirecheck.py -q $(GENERATED_MODULES); \
	else \
		echo "wirecheck: $(SHARED)/tools/wirecheck.py not found; tests/test_wire.py runs the vendored copy"; \
	fi

test: setup
	$(BIN)/python -m pytest

demo: setup
	$(BIN)/python examples/run_demo.py

bench: setup
	$(BIN)/python -m benchmarks --quick

bench-full: setup
	$(BIN)/python -m benchmarks

soak: setup
	SCALEKIT_SOAK=long $(BIN)/python -m pytest tests/hardening -k soak -p no:cacheprovider

clean:
	rm -rf build dist $(VENV) .mypy_cache .pytest_cache .ruff_cache

check-wheel: setup
	PY=$(BIN)/python tools/check_wheel.sh
