# Front door of the dingofs project. `make help` lists the targets.
PYTHON   ?= python3
VENV     ?= .venv
VPY      := $(VENV)/bin/python
PYTEST_ARGS ?=
NATIVE   := native

.PHONY: help native dev run test test-native test-crash test-python lint bench bench-scale bench-compare \
        upstream abi-check abi-cross fuzz fuzz-replay fuzz-long test-asan test-tsan soak \
        fault-sweep system wheel dist dist-check install clean docs

help:
	@echo "make native       build native/ (libdingofs.so.1, libdingofs.a, dingofs.pc)"
	@echo "make dev          create $(VENV) and install the package in editable mode with test extras"
	@echo "make run          run every Python example on the embedded local:// engine"
	@echo "make test         native suite (+ASan), crash tests, fuzz-corpus replay, Python suite (pytest -n auto)"
	@echo "make test-asan    C suite with leak detection + Python suite with the ASan runtime"
	@echo "make test-tsan    multi-threaded C tests under ThreadSanitizer"
	@echo "make fuzz         libFuzzer session on the C ABI (FUZZ_ABI_SECONDS, default 1800)"
	@echo "make soak         several processes and threads for SOAK_SECONDS, then fsck and verification"
	@echo "make fault-sweep  the whole I/O-error injection sweep of the engine (make test runs a bounded one)"
	@echo "make bench        benchmarks (native and Python), ratios against the host filesystem"
	@echo "make bench-scale  cost per operation as the tree grows to 1M files, memory per inode"
	@echo "make bench-compare BASE=REV [SCRATCH=DIR]  hot calls of this tree against commit REV, alternating"
	@echo "make fuzz-long    long differential run against the host filesystem (FUZZ_SECONDS)"
	@echo "make lint         ruff and mypy --strict on the package"
	@echo "make docs         API reference from the docstrings (Sphinx, offline, warnings are errors) into build/docs"
	@echo "make upstream     fetch the upstream prebuilt libdingofs into .upstream/"
	@echo "make system       build against the upstream prebuilt library and run its no-cluster tier"
	@echo "make wheel        build a binary wheel (auditwheel-repaired) into wheelhouse/"
	@echo "make dist         sdist and wheel (built from the sdist) into dist/, then twine check and scripts/check_dist.py"
	@echo "make dist-check   the packaging checks of CI: sdist installs, staged distro build + tests, reproducibility"
	@echo "make clean        remove build products"

native:
	$(MAKE) -C $(NATIVE)

fault-sweep:
	$(MAKE) -C $(NATIVE) check-faults

$(VPY):
	$(PYTHON) -m venv $(VENV)
	$(VPY) -m pip install -q --upgrade pip

dev: $(VPY) native
	$(VPY) -m pip install -q -e '.[test,lint]'

run: dev
	$(VPY) examples/python/run_all.py

test-native:
	$(MAKE) -C $(NATIVE) check check-asan

test-crash:
	$(MAKE) -C $(NATIVE) check-crash

test-python: dev
	$(VPY) -m pytest -n auto $(PYTEST_ARGS)

test: test-native test-crash fuzz-replay test-python

# libFuzzer session on the C ABI (installs Debian's clang if missing).
FUZZ_ABI_SECONDS ?= 1800
fuzz:
	$(MAKE) -C fuzz fuzz FUZZ_SECONDS=$(FUZZ_ABI_SECONDS)

# Every kept fuzz input once, under ASan+UBSan (part of make test).
fuzz-replay:
	$(MAKE) -C fuzz replay

# The C suite with leak detection, then the Python suite with the ASan runtime preloaded.
test-asan: dev
	$(MAKE) -C $(NATIVE) check-asan
	VPY=$(abspath $(VPY)) bash fuzz/python_asan.sh -n auto $(PYTEST_ARGS)

test-tsan:
	$(MAKE) -C $(NATIVE) check-tsan

# Bounded soak: SOAK_SECONDS (600), SOAK_PROCS (4) on one filesystem, then fsck + verification.
soak: dev
	$(VPY) soak/soak.py

# Long differential run (hypothesis 'long' profile) for FUZZ_SECONDS seconds.
FUZZ_SECONDS ?= 3600
fuzz-long: dev
	HYPOTHESIS_PROFILE=long DINGOFS_FUZZ_SECONDS=$(FUZZ_SECONDS) \
	  $(VPY) -m pytest tests/test_differential.py -m slow -q

# The API reference, built from the docstrings offline (no intersphinx); any
# warning fails the build. tests/test_docs.py runs the same build in make test.
docs: dev
	$(VPY) -m sphinx -W --keep-going -b html -d build/docs-doctrees docs/api build/docs

lint: dev
	$(VPY) -m ruff check dingofs tests examples benchmarks buildtools build_ffi.py setup.py
	$(VPY) -m mypy --strict dingofs buildtools

bench: dev
	$(MAKE) -C $(NATIVE) bench
	$(VPY) benchmarks/run.py

bench-scale: dev
	$(VPY) benchmarks/scale.py

# The hot calls of this tree against commit $(BASE), alternating, in one run
# (default: the last commit before the bridge moved into C files).
BASE ?= b5355af
bench-compare: dev
	$(VPY) benchmarks/compare_commits.py --base $(BASE) $(if $(SCRATCH),--scratch $(SCRATCH))

upstream:
	bash scripts/fetch_upstream.sh

abi-check: upstream
	$(MAKE) -C $(NATIVE)/abi check

abi-cross: upstream native
	$(MAKE) -C $(NATIVE)/abi cross

# The no-cluster tier against the upstream prebuilt library (tox -e system).
system: upstream $(VPY)
	$(VPY) -m pip install -q 'tox>=4.2'
	$(VPY) -m tox -e system

wheel: $(VPY)
	PYTHON=$(PYTHON) bash scripts/build_wheel.sh

# The sdist and a wheel built from it, for the package index. SOURCE_DATE_EPOCH
# (default: the commit's time) fixes the wheel's timestamps; the wheel always
# bundles the engine (a system library configured in the environment is ignored).
dist: $(VPY)
	$(VPY) -m pip install -q build twine
	rm -rf dist
	SOURCE_DATE_EPOCH="$${SOURCE_DATE_EPOCH:-$$(git log -1 --format=%ct 2>/dev/null || echo 315532800)}" \
	  env -u DINGOFS_PREFIX -u DINGOFS_INCLUDE_DIR -u DINGOFS_LIBRARY_DIR DINGOFS_USE_SYSTEM=0 \
	  $(VPY) -m build --outdir dist .
	$(VPY) -m twine check --strict dist/*
	$(VPY) scripts/check_dist.py dist

# From clean clones of HEAD: make dist twice in two directories (identical
# engine and bridge), the sdist installed in a fresh venv (README quick start),
# the staged distro build (make install DESTDIR, setuptools 66, the system
# library) running the test suite. See scripts/check_packaging.sh.
dist-check:
	PYTHON=$(PYTHON) bash scripts/check_packaging.sh

install:
	$(MAKE) -C $(NATIVE) install

clean:
	$(MAKE) -C $(NATIVE) clean
	rm -rf build dist wheelhouse *.egg-info dingofs/_bridge*.so dingofs/_bridge*.c
