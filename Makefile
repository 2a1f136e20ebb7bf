# ros - a file-backed control plane for ML research on rented and owned GPUs.
#
#   make            build ./ros (build/ros)
#   make DEVELOPER=1  the same, with warnings as errors (for developers and CI)
#   make check      install test dependencies, build (DEVELOPER=1), run unit +
#                   integration tests and the linters (integration tests run
#                   against the AddressSanitizer+UBSan build)
#   make demo       run the post's loop end to end on this machine
#   make bench      benchmarks (figures and ratios; not tests)
#   make install PREFIX=/usr/local   (DESTDIR too): ros, its man page, bash and zsh completion
#   make SANITIZE=1 build the sanitizer binary in build-san/
#   make fuzz       build the libFuzzer targets (tests/fuzz/, clang) and run each
#                   for FUZZ_SECONDS (default 60) on its seed corpus

PREFIX ?= /usr/local
CC ?= cc
CFLAGS ?= -O2 -g
PKGS = jansson yaml-0.1 libcrypto

ifeq ($(SANITIZE),1)
B := build-san
SANFLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
else ifeq ($(FUZZ),1)
# The fuzz targets: library objects built by clang with coverage for libFuzzer.
B := build-fuzz
CC := clang
SANFLAGS := -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
else
B := build
SANFLAGS :=
endif

WARN = -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
       -Wpointer-arith -Wvla -Wno-unused-parameter
# Warnings are errors for developers and CI (make check), not for a user,
# whose newer compiler may warn about code that was clean when released.
ifeq ($(DEVELOPER),1)
WARN += -Werror
endif
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) libcurl 2>/dev/null)
# jansson, libyaml and libcrypto (SHA-256 only) are linked statically: most
# commands are short, and
# loading two fewer shared libraries takes ~0.4 ms off every start.
PKG_LIBS := -Wl,-Bstatic $(shell pkg-config --libs $(PKGS) 2>/dev/null) -Wl,-Bdynamic
ALL_CFLAGS = -std=c11 -D_GNU_SOURCE $(WARN) $(CFLAGS) $(SANFLAGS) $(PKG_CFLAGS) -Isrc -I$(B)/gen
LIBS = $(PKG_LIBS) -ldl -lm

SRCS := $(wildcard src/*.c src/*/*.c)
OBJS := $(SRCS:%.c=$(B)/%.o) $(B)/gen/cmdtab.o $(B)/gen/embedded.o
LIBOBJS := $(filter-out $(B)/src/ros.o,$(OBJS))
DATA := $(shell find src/data src/remote -type f 2>/dev/null | sort)
UNIT_SRCS := $(wildcard tests/unit/*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(B)/tests/%)
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS := $(FUZZ_SRCS:tests/fuzz/%.c=build-fuzz/%)
FUZZ_SECONDS ?= 60

all: ros man completion

ros: $(B)/ros
ifneq ($(SANITIZE),1)
	@ln -sf $(B)/ros ros
endif

man: build/ros.1

build/ros.1: build/ros scripts/gen-man
	@scripts/gen-man build/ros > $@.tmp && mv $@.tmp $@

# shell completion, from the command table (scripts/gen-completion)
completion: build/completion/ros build/completion/_ros

build/completion/ros: build/ros scripts/gen-completion
	@mkdir -p $(dir $@)
	@scripts/gen-completion build/ros bash > $@.tmp && mv $@.tmp $@

build/completion/_ros: build/ros scripts/gen-completion
	@mkdir -p $(dir $@)
	@scripts/gen-completion build/ros zsh > $@.tmp && mv $@.tmp $@

$(B)/ros: $(OBJS)
	@echo "  LD  $@"; $(CC) $(ALL_CFLAGS) -o $@ $(OBJS) $(LIBS)

$(B)/%.o: %.c $(wildcard src/*.h src/*/*.h) $(B)/gen/embedded.h
	@mkdir -p $(dir $@)
	@echo "  CC  $<"; $(CC) $(ALL_CFLAGS) -c -o $@ $<

$(B)/gen/cmdtab.c: $(wildcard src/cmd/*.c) scripts/gen-cmdtab
	@mkdir -p $(dir $@)
	scripts/gen-cmdtab src/cmd/*.c > $@.tmp && mv $@.tmp $@

$(B)/gen/embedded.c $(B)/gen/embedded.h &: $(DATA) scripts/embed
	@mkdir -p $(B)/gen
	scripts/embed $(B)/gen/embedded $(DATA)

$(B)/gen/%.o: $(B)/gen/%.c
	@echo "  CC  $<"; $(CC) $(ALL_CFLAGS) -c -o $@ $<

$(B)/tests/%: tests/unit/%.c $(LIBOBJS)
	@mkdir -p $(dir $@)
	@echo "  LD  $@"; $(CC) $(ALL_CFLAGS) -Itests/unit -o $@ $< $(LIBOBJS) $(LIBS)

build-fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(LIBOBJS)
	@echo "  LD  $@"; $(CC) $(ALL_CFLAGS) -fsanitize=fuzzer -Itests/unit -o $@ $< $(LIBOBJS) $(LIBS)

fuzz-build:
	$(if $(FUZZ_BINS),$(MAKE) FUZZ=1 $(FUZZ_BINS),@echo "no fuzz targets")

fuzz: deps
	$(MAKE) fuzz-build
	scripts/fuzz $(FUZZ_SECONDS)

deps:
	@scripts/install-deps

fakes: $(if $(wildcard tests/fake/fakevast.c),$(B)/fakevast)

$(B)/fakevast: tests/fake/fakevast.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(shell pkg-config --cflags libmicrohttpd) -o $@ $< \
		$(shell pkg-config --libs libmicrohttpd jansson) -lpthread

unit: $(UNIT_BINS)

check: deps
	$(MAKE) DEVELOPER=1 ros unit fakes
	$(MAKE) DEVELOPER=1 SANITIZE=1 ros unit fakes
	$(MAKE) DEVELOPER=1 fuzz-build
	tests/run

demo: deps ros
	scripts/demo

bench: deps ros fakes
	bench/run

install: ros man completion
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 \
		$(DESTDIR)$(PREFIX)/share/bash-completion/completions $(DESTDIR)$(PREFIX)/share/zsh/site-functions
	install -m 755 build/ros $(DESTDIR)$(PREFIX)/bin/ros
	install -m 644 build/ros.1 $(DESTDIR)$(PREFIX)/share/man/man1/ros.1
	install -m 644 build/completion/ros $(DESTDIR)$(PREFIX)/share/bash-completion/completions/ros
	install -m 644 build/completion/_ros $(DESTDIR)$(PREFIX)/share/zsh/site-functions/_ros

clean:
	rm -rf build build-san build-fuzz ros

.PHONY: all ros man completion deps fakes unit fuzz fuzz-build check demo bench install clean
.SECONDARY:
