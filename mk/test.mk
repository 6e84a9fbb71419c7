# make check (bats suites), make fuzz (libFuzzer), make bench, make help.
TESTS ?= $(sort $(wildcard tests/*.bats))
BATS_FLAGS ?=
# suites run side by side (GNU parallel, from make deps), the tests of one suite in
# order; JOBS=1 runs one suite after the other
JOBS ?= $(shell echo $$(( $$(nproc 2>/dev/null || echo 1) + 1 )))
BATS_JOBS = $(if $(filter-out 0 1,$(JOBS)),--jobs $(JOBS) --no-parallelize-within-files)

.PHONY: check ci
ci:
	$(Q).ci/run

check: $(BINS)
	$(Q)mkdir -p $(ARTIFACTS)/test
	$(Q)BIN=$(abspath $(BIN)) SHARED=$(SHARED) VALGRIND=$(VALGRIND) SAN=$(SAN) LC_ALL=C \
	  bats --tap $(BATS_JOBS) $(BATS_FLAGS) $(TESTS) 2>&1 | tee $(ARTIFACTS)/test/check.tap | tests/tap-summary

# libFuzzer harnesses: tests/fuzz/fuzz_*.c, each linked with the library.
FUZZ_SECONDS ?= 60
FUZZERS := $(basename $(notdir $(wildcard tests/fuzz/fuzz_*.c)))
FUZZ_CFLAGS := -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -D_GNU_SOURCE -Ifilters
.PHONY: fuzz
fuzz: $(addprefix build/fuzz/,$(FUZZERS))
	$(Q)for f in $(FUZZERS); do \
	  corpus=build/fuzz/corpus-$$f; mkdir -p $$corpus; \
	  tests/fuzz/seed $$f $$corpus; \
	  echo "fuzz: $$f for $(FUZZ_SECONDS) s"; \
	  build/fuzz/$$f -max_total_time=$(FUZZ_SECONDS) -max_len=16384 -print_final_stats=1 \
	    -artifact_prefix=build/fuzz/crash-$$f- $$corpus 2>build/fuzz/$$f.log \
	    || { tail -40 build/fuzz/$$f.log; echo "fuzz: $$f found a crash"; exit 1; }; \
	  grep -E 'stat::number_of_executed_units|stat::new_units_added' build/fuzz/$$f.log | sed "s/^/  $$f /"; \
	done

# a harness links the library and the parts (all but main.c) of the programs of
# several files whose headers it includes ("NAME/x.h"): the parts of two programs
# may define the same name, and a program's libraries are its own
build/fuzz/%: tests/fuzz/%.c $(LIB_SRC) $(PROG_PART_SRC) $(wildcard filters/lib/*.h filters/*/*.h)
	$(Q)mkdir -p build/fuzz
	$(call say,FUZZ,$@)
	$(Q)parts=(); for d in $$(sed -n 's|^#include "\([a-z0-9-]*\)/[a-z0-9_-]*\.h"$$|\1|p' $< | sort -u); do \
	  [ "$$d" = lib ] || for f in filters/$$d/*.c; do [ "$${f##*/}" = main.c ] || parts+=("$$f"); done; done; \
	clang $(FUZZ_CFLAGS) -o $@ $< $(LIB_SRC) "$${parts[@]}" $(LDLIBS)

.PHONY: bench
bench: $(BINS)
	$(Q)BIN=$(abspath $(BIN)) SHARED=$(SHARED) ARTIFACTS=$(abspath $(ARTIFACTS)) bench/run

.PHONY: help
help:
	@echo "mero-policy make targets"
	@echo "  deps            install the Debian packages the project needs (apt-get, sudo if not root)"
	@echo "  all (default)   build every program into bin/"
	@echo "  check           run the bats suites; ends with 'N passed, N failed'"
	@echo "  ci              what CI runs: deps, build, check, and check on the SAN=1 build"
	@echo "  fuzz            run the libFuzzer harnesses (FUZZ_SECONDS each)"
	@echo "  bench           benchmarks against the peer tools; figures in artifacts/bench/"
	@echo "  install         install programs into DESTDIR/PREFIX/bin"
	@echo "  clean           remove bin/ and build/"
	@$(MAKE) -s help-extra 2>/dev/null || true
	@echo "knobs"
	@echo "  V=1             show commands          SAN=1      ASan+UBSan build (build/san/bin)"
	@echo "  VALGRIND=1      check under valgrind    PREFIX, DESTDIR   install location"
	@echo "  SHARED=dir      the shared vectors (default ../shared)"
	@echo "  FUZZ_SECONDS=n  per fuzzer (default 60)"
	@echo "  JOBS=n          make check: suites at once (default: CPUs + 1; 1 runs them one by one)"

.PHONY: help-extra
help-extra::
	@:
