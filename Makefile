# Makefile: every flag, the dependency check, the build, `make test` and `make bench`.
.DELETE_ON_ERROR:
.SUFFIXES:
.PHONY: all deps-build deps-test deps-bench test layers bench plots report clean help

CC ?= cc
SANITIZE ?=
BUILD := build$(if $(SANITIZE),-$(SANITIZE))

CFLAGS ?= -O2 -g
CFLAGS += -std=gnu11 -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
          -fno-strict-aliasing -pthread -MMD -MP -Iinclude
# CI (CI=true) and WERROR=1 make every warning an error.
ifneq ($(filter true 1,$(CI) $(WERROR)),)
CFLAGS += -Werror
endif
ifneq ($(SANITIZE),)
CFLAGS += -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS += -fsanitize=$(SANITIZE)
endif
# In-process domains need the GOT resolved and read-only before any domain runs.
LDFLAGS += -Wl,-z,now -Wl,-z,relro
# libxml2's headers are in their own folder (Debian's libxml2-dev).
$(BUILD)/obj/workloads/libxml2.o: CFLAGS += -I/usr/include/libxml2
LDLIBS := -ljemalloc -ljansson -lpfm -lsnappy -lpng -lmsgpackc -lz -lexpat -lxml2 -ljpeg -lsqlite3 -lm -pthread

ifeq ($(V),1)
Q :=
else
Q := @
endif

LIB_SRC := $(wildcard backends/*.c backends/*.S)
WL_SRC := $(wildcard workloads/*.c)
HARNESS_SRC := $(wildcard bench/*.c)
# Tests live in one folder per layer (tests/README.md); a file left at the top would not be built.
TEST_SRC := $(wildcard tests/*/*.c)
ifneq ($(wildcard tests/*.c),)
$(error $(wildcard tests/*.c): tests go in a layer folder of tests/, see tests/README.md)
endif

obj = $(patsubst %,$(BUILD)/obj/%.o,$(basename $(1)))
LIB := $(BUILD)/libiso.a
HARNESS_OBJ := $(call obj,$(HARNESS_SRC) $(WL_SRC))
TEST_OBJ := $(call obj,$(TEST_SRC) $(WL_SRC) $(filter-out bench/main.c,$(HARNESS_SRC)))

all: $(BUILD)/harness $(if $(SANITIZE),,harness)

help:
	@echo "make            build ./harness"
	@echo "make test       build and run the tests (installs missing Debian packages as root)"
	@echo "make bench      run every supported backend over the workloads into results/"
	@echo "make plots      redraw the plots of results/latest; make report: its report.md"
	@echo "./harness --compare OLD.json NEW.json   the change of every row two runs share"
	@echo "make SANITIZE=address|undefined test   the tests under a sanitizer"
	@echo "make test NO_VM=1   without the mpk tests (natively and under QEMU)"
	@echo "make test ISO_VM_KERNELS=   the mpk tests natively only (default: also QEMU 6.1, 6.12)"
	@echo "make install [PREFIX=/usr/local DESTDIR=]   headers, libiso.a/.so, isobench.pc, harness"
	@echo "make uninstall  removes what make install put there (same PREFIX, DESTDIR)"
	@echo "make layers     check that no layer's object files use each other in a cycle"
	@echo "make bench QUICK=1  a first look (3 executions of 3 batches; about 4 minutes here)"
	@echo "V=1 shows commands; CI=true or WERROR=1 makes warnings errors"

deps-build deps-test deps-bench: deps-%:
	$(Q)scripts/deps.sh $*

$(BUILD)/obj/%.o: %.c | deps-build
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CFLAGS) $(if $(filter bench/% tests/%,$<),-Iworkloads) -c -o $@ $<

$(BUILD)/obj/%.o: %.S | deps-build
	@mkdir -p $(@D)
	@$(if $(Q),echo "  AS      $<")
	$(Q)$(CC) $(CFLAGS) -c -o $@ $<

$(LIB): $(call obj,$(LIB_SRC))
	@$(if $(Q),echo "  AR      $@")
	$(Q)rm -f $@ && ar rcs $@ $^

$(BUILD)/harness: $(HARNESS_OBJ) $(LIB)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# ./harness at the top of the tree, as the README promises: always the plain build.
harness: build/harness
	$(Q)ln -sf $< $@

ifneq ($(BUILD),build)
build/harness:
	$(Q)$(MAKE) --no-print-directory SANITIZE= build/harness
endif

$(BUILD)/tests: $(TEST_OBJ) $(LIB) | deps-test
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $(TEST_OBJ) $(LIB) -lcriterion -lsnappy $(LDLIBS)

# Each layer's object files use each other without a cycle (scripts/layers.sh).
layers: $(HARNESS_OBJ) $(call obj,$(LIB_SRC))
	$(Q)scripts/layers.sh backends $(call obj,$(LIB_SRC))
	$(Q)scripts/layers.sh bench+workloads $(HARNESS_OBJ)

# The mpk tests also run where PKU is: natively on a PKU CPU, and under QEMU on each kernel
# line in ISO_VM_KERNELS (default 6.1 6.12); NO_VM=1 skips both.
test: deps-test $(BUILD)/tests $(BUILD)/harness layers
	$(Q)$(BUILD)/tests --jobs=2
	$(Q)tests/harness/plots.sh $(BUILD)/harness
ifneq ($(NO_VM),1)
	$(Q)tests/support/mpk-vm.sh $(BUILD)/tests $(BUILD)/harness
endif

# The run's git revision goes into results.json; rev.txt changes only when it does.
REV := $(shell git describe --always --dirty 2>/dev/null || echo unknown)
$(shell mkdir -p $(BUILD) && { [ "$$(cat $(BUILD)/rev.txt 2>/dev/null)" = "$(REV)" ] || echo "$(REV)" > $(BUILD)/rev.txt; })
$(BUILD)/obj/bench/format.o: $(BUILD)/rev.txt
$(BUILD)/obj/bench/format.o: CFLAGS := $(CFLAGS) -DHARNESS_CFLAGS='"$(subst ",,$(filter-out -MMD -MP -I%,$(CFLAGS)))"'
$(BUILD)/obj/bench/format.o: CFLAGS += -DHARNESS_GIT_REV='"$(REV)"'

# A run is written to RUN.tmp and renamed when complete: no half-written run folder.
RUN := results/$(shell date -u +%Y%m%dT%H%M%SZ)-$(shell hostname -s)
BENCH_FLAGS ?=
# QUICK=1: a first look: 3 executions (fresh processes, each the whole plan with fresh
# domains) of 3 batches, fewer hyperfine runs.  Otherwise each row pools the batches of 5
# executions of 19.
ifeq ($(QUICK),1)
BENCH_FLAGS += --executions=3 --rounds=1 --repetitions=3 --warmup=1
HYPERFINE_RUNS := 2
else
BENCH_FLAGS += --executions=5 --rounds=1 --repetitions=19
HYPERFINE_RUNS := 5
endif
# After the harness: hyperfine times whole harness runs of each backend supported here
# (start-up and domain creation included), then the plots and report.md are drawn.
SUPPORTED = ./harness --list | awk '/^backends:/ { on = 1; next } /^[^ ]/ { on = 0 } \
	on && $$2 == "yes" { printf "%s%s", sep, $$1; sep = "," }'
bench: deps-bench harness
	$(Q)rm -rf $(RUN).tmp
	$(Q)./harness --backend=all --workload=all --refs --outdir=$(RUN).tmp $(BENCH_FLAGS) \
		>/dev/null || { rm -rf $(RUN).tmp; exit 1; }
	@echo "violation matrix (expected diagnostics in violations.log)..."
	$(Q)LIBC_FATAL_STDERR_=1 ./harness --violations --backend=all --quiet --outdir=$(RUN).tmp \
		>/dev/null 2>$(RUN).tmp/violations.log || { rm -rf $(RUN).tmp; exit 1; }
	@echo "hyperfine, plots, report..."
	$(Q)hyperfine -N --style basic --warmup 1 --runs $(HYPERFINE_RUNS) -L backend "$$($(SUPPORTED))" \
		--export-json $(RUN).tmp/hyperfine.json \
		'./harness --backend={backend} --workload=call-null --no-baseline --quiet --format=csv' \
		>$(RUN).tmp/hyperfine.log 2>&1 \
		&& plots/plots.sh $(RUN).tmp && ./harness --report $(RUN).tmp \
		|| { rm -rf $(RUN).tmp; exit 1; }
	$(Q)mv $(RUN).tmp $(RUN) && ln -sfn $(notdir $(RUN)) results/latest
	$(Q)scripts/bench-summary.sh $(RUN)
	@echo "results in $(RUN)/ (results/latest; report.md)"

# Redraw the plots, or rewrite report.md, of the newest run.
plots report: deps-bench
	$(Q)[ -d results/latest ] || { echo "no results/latest: run make bench first" >&2; exit 1; }
	$(Q)$(if $(filter plots,$@),plots/plots.sh,./harness --report) results/latest
report: harness

clean:
	rm -rf build build-* harness

include mk/install.mk

-include $(shell find build* -name '*.d' 2>/dev/null)
