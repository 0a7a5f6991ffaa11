# SPDX-License-Identifier: MIT
# SuperSimpleCI - plain Makefile.  "make" builds ./ssci, "make test" runs
# every test, "make asan" runs them under AddressSanitizer and UBSan.

PREFIX ?= /usr/local
BUILD ?= build
CC ?= cc
PKGS = libevent libevent_openssl openssl jansson sqlite3 libpq yaml-0.1 expat libcurl
# libcurl's headers only: the outbox loads the library at run time
# (src/curl_load.c), so that no other process maps it and what it brings.
LINK_PKGS = $(filter-out libcurl,$(PKGS))

WARN = -Wall -Wextra -Werror -Wshadow -Wmissing-prototypes \
	-Wstrict-prototypes -Wsign-compare -Wformat=2 -Wno-format-nonliteral
CFLAGS ?= -O2 -g
ALL_CFLAGS = -std=c11 -D_GNU_SOURCE $(WARN) $(CFLAGS) $(EXTRA_CFLAGS) \
	$(shell pkg-config --cflags $(PKGS))
LIBS = $(shell pkg-config --libs $(LINK_PKGS))

LIB_SRC = $(filter-out src/main.c,$(wildcard src/*.c))
LIB_OBJ = $(LIB_SRC:src/%.c=$(BUILD)/%.o) $(BUILD)/web_assets.o
WEB = src/web/style.css src/web/app.js
UNIT_SRC = $(wildcard tests/unit/test_*.c)
UNIT_BIN = $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
FUZZ_SRC = $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BIN = $(FUZZ_SRC:tests/fuzz/%.c=build-fuzz/%)
# The parsers and what they use: fuzz targets link only these.
FUZZ_LIB_SRC = src/proto.c src/proto_encode.c src/proto_tests.c src/summary.c \
	src/util.c \
	src/log.c src/utf8.c src/files.c \
	src/summary_tools.c \
	src/job.c src/params.c src/secrets_check.c src/http_parse.c src/term.c src/lineguard.c \
	src/pending.c \
	src/lock.c src/plan.c src/plan_yaml.c src/plan_expand.c src/plan_spec.c \
	src/plan_shards.c src/plan_json.c src/plan_keep.c \
	src/testrec.c src/report_junit.c src/report_lines.c src/report_tap.c \
	src/report_unittest.c src/shard.c src/forge_hook.c src/conf.c src/cron.c \
	src/mask.c
FUZZ_SECONDS ?= 20
# The tests run on Debian's python3 (scripts/deps installs it), and so do
# the Python test commands of their jobs: they start it hundreds of times,
# and another installation first on PATH (a pyenv shim, a python whose
# site-packages import more at start-up) can cost several times as much.
PYTHON ?= $(if $(wildcard /usr/bin/python3),/usr/bin/python3,python3)

.PHONY: all deps install test unit asan valgrind fuzz demo bench clean \
	screenshots
all: deps ssci

deps:
	@scripts/deps build

ifeq ($(BUILD),build)
ssci: $(BUILD)/ssci
	@cp $(BUILD)/ssci ssci.tmp && mv -f ssci.tmp ssci
endif

$(BUILD)/ssci: $(BUILD)/main.o $(BUILD)/libssci.a
	@echo "  LINK $@"
	@$(CC) $(ALL_CFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/libssci.a: $(LIB_OBJ)
	@rm -f $@
	@ar rcs $@ $^

# The web side's stylesheet and script, built into the binary.
$(BUILD)/web_assets.c: $(WEB) scripts/embed | $(BUILD)
	@scripts/embed $@ html_style=src/web/style.css html_script=src/web/app.js

$(BUILD)/web_assets.o: $(BUILD)/web_assets.c
	@echo "  CC   $<"
	@$(CC) $(ALL_CFLAGS) -Wno-missing-variable-declarations -c -o $@ $<

$(BUILD)/%.o: src/%.c src/*.h | $(BUILD)
	@echo "  CC   $<"
	@$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libssci.a src/*.h tests/unit/*.h | $(BUILD)
	@mkdir -p $(BUILD)/tests
	@echo "  CC   $<"
	@$(CC) $(ALL_CFLAGS) -Isrc -DSSCI_SOURCE_DIR='"$(CURDIR)"' -o $@ $< \
		$(BUILD)/libssci.a $(LIBS) \
		$(shell pkg-config --libs cmocka)

$(BUILD):
	mkdir -p $(BUILD)

unit: $(UNIT_BIN)

# The test command of README.md: unit and integration tests, one total line.
test: all
	@scripts/deps test
	@$(MAKE) --no-print-directory unit
	@SSCI_BIN=$(CURDIR)/$(BUILD)/ssci SSCI_UNIT_DIR=$(CURDIR)/$(BUILD)/tests \
		$(PYTHON) tests/run

asan:
	@scripts/deps test
	@$(MAKE) --no-print-directory BUILD=build-asan CFLAGS="-O1 -g \
		-fsanitize=address,undefined -fno-omit-frame-pointer \
		-fno-sanitize-recover=undefined" build-asan/ssci unit
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		SSCI_BIN=$(CURDIR)/build-asan/ssci \
		SSCI_UNIT_DIR=$(CURDIR)/build-asan/tests $(PYTHON) tests/run

# The pictures in docs/screenshots/, taken by the headless-browser test.
screenshots: all
	@scripts/deps test
	@SSCI_BIN=$(CURDIR)/$(BUILD)/ssci \
		SSCI_SCREENSHOTS=$(CURDIR)/docs/screenshots $(PYTHON) tests/run 'test_browser*'

# The unit tests under valgrind: any leak or memory error fails.
valgrind: all
	@scripts/deps test
	@$(MAKE) --no-print-directory unit
	@SSCI_VALGRIND=1 SSCI_UNIT_DIR=$(CURDIR)/$(BUILD)/tests $(PYTHON) tests/run --unit

build-fuzz/%: tests/fuzz/%.c $(FUZZ_LIB_SRC) src/*.h $(wildcard tests/fuzz/*.h) \
		$(wildcard tests/unit/unit_*.h)
	@mkdir -p build-fuzz
	@echo "  FUZZ $<"
	@clang -std=c11 -D_GNU_SOURCE $(WARN) -g -O1 \
		-fsanitize=fuzzer,address,undefined \
		$(shell pkg-config --cflags $(PKGS)) -Isrc -o $@ $< \
		$(FUZZ_LIB_SRC) $(LIBS)

# Each fuzz target runs for FUZZ_SECONDS on its corpus.  What it finds
# new is written to tests/fuzz/corpus/NAME, so a run grows the corpus the
# next one starts from (commit what is worth keeping).
# Two at a time: each is one process, and CI has two cores.
fuzz: deps $(FUZZ_BIN)
	@$(MAKE) --no-print-directory -j2 $(FUZZ_BIN:build-fuzz/%=fuzz-run-%)

fuzz-run-%: build-fuzz/%
	@name=$*; dir=tests/fuzz/corpus/$${name#fuzz_}; \
	echo "fuzz: $$name for $(FUZZ_SECONDS)s"; \
	build-fuzz/$$name -max_total_time=$(FUZZ_SECONDS) -max_len=4096 \
		$$dir >build-fuzz/$$name.log 2>&1 || \
		{ tail -40 build-fuzz/$$name.log; exit 1; }

# SuperSimpleCI on an example repository, start to finish.
demo: all
	@scripts/demo

# The benchmarks of docs/PERFORMANCE.md: "figure NAME=VALUE UNIT" lines.
bench: all
	@bench/run

# The binary, its man pages (man/) and its bash completion (completion/)
# under PREFIX; DESTDIR stages them, as a package build does.
MANDIR ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(MANDIR)/man1 \
		$(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(BASHCOMPDIR)
	install -m 0755 ssci $(DESTDIR)$(PREFIX)/bin/ssci
	install -m 0644 man/*.1 $(DESTDIR)$(MANDIR)/man1/
	install -m 0644 man/*.5 $(DESTDIR)$(MANDIR)/man5/
	install -m 0644 completion/ssci.bash $(DESTDIR)$(BASHCOMPDIR)/ssci

clean:
	rm -rf build build-asan build-fuzz ssci

# The Debian package, build-deb/ssci_VERSION-REVISION_ARCH.deb, built with
# debian/ from a copy of the tree and checked with lintian (scripts/deb;
# JOBS=N for the build's parallel jobs).  docs/DEPLOY.md says what it
# installs.
.PHONY: deb clean-deb
deb:
	@scripts/deps deb
	@scripts/deb

clean: clean-deb
clean-deb:
	rm -rf build-deb
