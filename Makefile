# smsc — hand-written Makefile.
#
#   make            build build/smscd and build/smscctl
#   make deps       install the Debian packages the build and tests need
#                   (idempotent) and build canonical/raft 0.22.1 once
#   make run        one node on the embedded defaults (data in ./var/node1)
#   make cluster    three nodes on loopback (data in ./var/node{1,2,3}),
#                   plus MariaDB and Prometheus when installed (server/cluster.sh)
#   make test       unit tests, a short fuzz run, integration tests
#   make san        the same suites under ASan + UBSan
#   make fuzz       build the libFuzzer targets and run each for FUZZ_SECONDS
#   make bench      smscctl bench's scenario suite against a local node
#                   (after the micro-benchmarks: make bench-micro)
#   make bench-cluster  the same against a local three-node cluster

SHELL := /bin/bash
.DEFAULT_GOAL := all

BUILD   ?= build
CC      ?= gcc
OPT     ?= -O2
WERROR  ?= -Werror
SAN     ?=
V       ?=
Q       := $(if $(V),,@)

include raft_store/raft.mk

PKGS_CFLAGS := $(shell pkg-config --cflags libevent libevent_openssl libevent_pthreads jansson openssl libuv libpcre2-8 libcares liblz4 2>/dev/null)
PKGS_LIBS   := $(shell pkg-config --libs libevent libevent_openssl libevent_pthreads jansson openssl libpcre2-8 libcares liblz4 2>/dev/null)
# The CDR writer's SQL client libraries (sql/); their headers are system
# headers, outside our warning flags.
SQL_PKGS    := sqlite3 libpq libmariadb
PKGS_CFLAGS += $(patsubst -I%,-isystem %,$(shell pkg-config --cflags $(SQL_PKGS) 2>/dev/null))
PKGS_LIBS   += $(shell pkg-config --libs $(SQL_PKGS) 2>/dev/null)

WARN := -Wall -Wextra -Wshadow -Wconversion -Wno-sign-conversion \
        -Wstrict-prototypes -Wmissing-prototypes -Wpointer-arith \
        -Wformat=2 -Wvla -Wundef -Wcast-align $(WERROR)
CFLAGS  += -std=gnu11 -D_GNU_SOURCE $(OPT) -g -pthread $(WARN) $(SAN) \
           -I. $(RAFT_CFLAGS) $(PKGS_CFLAGS) -MMD -MP
LDFLAGS += -pthread $(SAN)
LDLIBS  += $(RAFT_LIBS) $(PKGS_LIBS) -lm

# Module sources: everything but the two programs' entry points goes into
# one archive that the programs and the unit tests link against.
LIB_SRC := $(wildcard common/*.c server/*.c raft_store/*.c api/*.c cluster/*.c sql/*.c)
LIB_SRC := $(filter-out server/main.c cluster/smscctl.c,$(LIB_SRC))
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/obj/%.o)
# The schema files of sql/schema/<dialect>/ embedded as cdr_migrations[].
SQL_SCHEMA := $(sort $(wildcard sql/schema/*/*.sql))
SQL_SCHEMA_C := $(BUILD)/gen/sql_schema.c
LIB_OBJ += $(BUILD)/obj/gen/sql_schema.o
LIB_A   := $(BUILD)/libsmsc.a

SMSCD   := $(BUILD)/smscd
SMSCCTL := $(BUILD)/smscctl

UNIT_SRC  := $(wildcard tests/unit/test_*.c)
UNIT_BIN  := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)

# A small program the SQL integration test drives the CDR sink with.
CDR_SQL_DRIVER := $(BUILD)/tests/cdr_sql_driver

all: $(SMSCD) $(SMSCCTL) $(CDR_SQL_DRIVER)

$(BUILD)/obj/%.o: %.c | $(RAFT_LIB)
	@mkdir -p $(@D)
	@$(if $(V),,echo "  CC      $<")
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

$(SQL_SCHEMA_C): $(SQL_SCHEMA) sql/schema/embed.sh
	@mkdir -p $(@D)
	$(Q)sh sql/schema/embed.sh $(SQL_SCHEMA) > $@.tmp && mv $@.tmp $@

$(BUILD)/obj/gen/sql_schema.o: $(SQL_SCHEMA_C)
	@mkdir -p $(@D)
	@$(if $(V),,echo "  CC      $<")
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

# Depends on libraft.a too, so every program relinks when the raft build
# changes (a new patch level).
$(LIB_A): $(LIB_OBJ) $(RAFT_LIB)
	@rm -f $@
	$(Q)ar rcs $@ $(filter %.o,$^)

$(SMSCD): $(BUILD)/obj/server/main.o $(LIB_A)
	@$(if $(V),,echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(SMSCCTL): $(BUILD)/obj/cluster/smscctl.o $(LIB_A)
	@$(if $(V),,echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/%: $(BUILD)/obj/tests/unit/%.o $(LIB_A)
	@mkdir -p $(@D)
	@$(if $(V),,echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) -lcmocka

$(CDR_SQL_DRIVER): $(BUILD)/obj/tests/integration/cdr_sql_driver.o $(LIB_A)
	@mkdir -p $(@D)
	@$(if $(V),,echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)

# ---------------------------------------------------------------- packages
# Debian 12 packages for the build, the tests and the benchmarks.
DEB_PKGS := gcc make pkg-config autoconf automake libtool patch ca-certificates \
            openssl libuv1-dev liblz4-dev libevent-dev libssl-dev \
            libjansson-dev libcmocka-dev libpcre2-dev libc-ares-dev python3 python3-pytest \
            python3-requests strace libsqlite3-dev libpq-dev libmariadb-dev \
            postgresql mariadb-server prometheus dnsmasq-base

deps: $(RAFT_LIB)

# Installs only what is missing, so a second run costs a dpkg-query.
deps-packages:
	@missing=""; \
	for p in $(DEB_PKGS); do \
	  dpkg-query -W -f='$${db:Status-Status}' "$$p" 2>/dev/null | grep -qx installed \
	    || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  sudo=""; [ "$$(id -u)" = 0 ] || sudo="sudo"; \
	  echo "deps: installing$$missing"; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  $$sudo apt-get install -y -q --no-install-recommends $$missing \
	    || { $$sudo apt-get update -q && $$sudo apt-get install -y -q --no-install-recommends $$missing; }; \
	fi

$(RAFT_LIB): | deps-packages

# ---------------------------------------------------------------- running
RUN_CONFIG ?= server/smscd.json

run: deps all
	@mkdir -p var/node1
	@if [ -z "$$(ls -A var/node1 2>/dev/null)" ]; then boot=--bootstrap; fi; \
	exec $(SMSCD) --config $(RUN_CONFIG) $$boot

cluster: deps all
	@server/cluster.sh start

cluster-stop:
	@server/cluster.sh stop

# ---------------------------------------------------------------- tests
PYTEST := /usr/bin/python3 -m pytest

unit: $(UNIT_BIN)
	@set -e; for t in $(UNIT_BIN); do echo "== $$t"; $$t; done

integration: all
	SMSCD=$(abspath $(SMSCD)) SMSCCTL=$(abspath $(SMSCCTL)) \
	  CDR_SQL_DRIVER=$(abspath $(CDR_SQL_DRIVER)) \
	  $(PYTEST) -q -x tests/integration $(PYTEST_ARGS)

test: deps
	$(MAKE) all
	$(MAKE) unit
	$(MAKE) fuzz-smoke
	$(MAKE) integration

san: deps
	$(MAKE) BUILD=build/san OPT=-O1 SAN="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined" all unit
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  LSAN_OPTIONS=suppressions=$(abspath tests/lsan.supp) \
	  SMSCD=$(abspath build/san/smscd) SMSCCTL=$(abspath build/san/smscctl) SMSC_SAN=1 \
	  CDR_SQL_DRIVER=$(abspath build/san/tests/cdr_sql_driver) \
	  $(PYTEST) -q -x tests/integration $(PYTEST_ARGS)

# ---------------------------------------------------------------- fuzzing
FUZZ_SECONDS ?= 30
FUZZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BIN := $(FUZZ_SRC:tests/fuzz/%.c=build/fuzz/%)
# The pure decoders and what they need: no threads, no sockets.
FUZZ_LIB := $(wildcard common/*.c server/config*.c server/pdu*.c) server/smstext.c \
            $(filter-out raft_store/node%.c,$(wildcard raft_store/*.c)) \
            api/msgjson.c api/fieldjson.c api/tablejson.c api/jsonfmt.c server/xlat.c \
            api/frontendjson.c api/mediajson.c sql/cdr_row.c cluster/bench_parse.c

build/fuzz/%: tests/fuzz/%.c $(FUZZ_LIB) | $(RAFT_LIB)
	@mkdir -p $(@D)
	clang -std=gnu11 -D_GNU_SOURCE -g -O1 -I. $(RAFT_CFLAGS) $(PKGS_CFLAGS) \
	  -fsanitize=fuzzer,address,undefined -o $@ $^ $(LDLIBS)

fuzz-deps:
	@command -v clang >/dev/null || { sudo=""; [ "$$(id -u)" = 0 ] || sudo=sudo; \
	  $$sudo apt-get install -y -q clang libclang-rt-14-dev; }

$(FUZZ_BIN): | fuzz-deps

# A short run of the PDU decoder's fuzz target, part of make test (the
# long runs are make fuzz).
FUZZ_SMOKE_SECONDS ?= 20
fuzz-smoke: build/fuzz/fuzz_pdu
	@mkdir -p build/fuzz/corpus/fuzz_pdu
	@echo "== fuzz_pdu ($(FUZZ_SMOKE_SECONDS) s)"
	@set -o pipefail; build/fuzz/fuzz_pdu -max_total_time=$(FUZZ_SMOKE_SECONDS) \
	  -print_final_stats=1 build/fuzz/corpus/fuzz_pdu \
	  tests/fuzz/seeds/fuzz_pdu 2>&1 | tail -3

fuzz: deps $(FUZZ_BIN)
	@set -e -o pipefail; for f in $(FUZZ_BIN); do \
	  n=$$(basename $$f); mkdir -p build/fuzz/corpus/$$n; \
	  echo "== $$n ($(FUZZ_SECONDS) s)"; \
	  $$f -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 build/fuzz/corpus/$$n tests/fuzz/seeds/$$n 2>&1 | tail -3; \
	done

# ---------------------------------------------------------------- benchmarks
# Micro-benchmarks of the pure stages (route selection with 1,000 routes,
# translation with 100 rules, the store's snapshot encoded and restored with
# 1,000,000 messages), linked against the optimised archive.
MICRO_BENCH := $(BUILD)/bench/route_bench $(BUILD)/bench/xlat_bench \
               $(BUILD)/bench/snap_bench

$(BUILD)/bench/%: $(BUILD)/obj/tests/bench/%.o $(LIB_A)
	@mkdir -p $(@D)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

bench-micro: $(MICRO_BENCH)
	@for b in $(MICRO_BENCH); do $$b; done

# The scenario suite of `smscctl bench` (create, create_async, raw,
# raw_async, fetch, list) on one fresh node (tests/bench/bench.py), and on
# a fresh three-node cluster with CDRs to SQLite, through the leader and
# spread over all nodes (tests/bench/bench_cluster.py; JSON in
# $(BUILD)/bench/cluster.json).  BENCH_ARGS go to the script, and what it
# does not know to smscctl bench: BENCH_ARGS="--runs 3 --duration 5".
bench: deps all bench-micro
	/usr/bin/python3 tests/bench/bench.py --smscd $(abspath $(SMSCD)) \
	  --out $(BUILD)/bench/node.json $(BENCH_ARGS)

bench-cluster: deps all
	/usr/bin/python3 tests/bench/bench_cluster.py --smscd $(abspath $(SMSCD)) \
	  --out $(BUILD)/bench/cluster.json $(BENCH_ARGS)

# Sync create throughput on three nodes at 10,000 ... 1,000,000 stored
# messages (tests/bench/flat_bench.py).
bench-flat: deps all
	/usr/bin/python3 tests/bench/flat_bench.py --smscd $(abspath $(SMSCD)) $(BENCH_ARGS)

# Resident bytes per stored message from 250,000 to 1,000,000 pending,
# create throughput as the store grows, and the time a node with all of
# them takes to come back after a restart (tests/bench/memory_bench.py).
bench-memory: deps all
	/usr/bin/python3 tests/bench/memory_bench.py --smscd $(abspath $(SMSCD)) \
	  --smscctl $(abspath $(SMSCCTL)) $(BENCH_ARGS)

# Submission throughput with CDRs off / SQLite / PostgreSQL / MariaDB and
# the CDR writer's sustained rows/s (tests/bench/cdr_bench.py).
bench-cdr: deps all
	@command -v wrk >/dev/null || { sudo=""; [ "$$(id -u)" = 0 ] || sudo=sudo; $$sudo apt-get install -y -q wrk; }
	/usr/bin/python3 tests/bench/cdr_bench.py --smscd $(abspath $(SMSCD)) $(BENCH_ARGS)

# Sync creates with and without a 1-second /metrics scraper.
bench-scrape: deps all
	@command -v wrk >/dev/null || { sudo=""; [ "$$(id -u)" = 0 ] || sudo=sudo; $$sudo apt-get install -y -q wrk; }
	/usr/bin/python3 tests/bench/scrape_bench.py --smscd $(abspath $(SMSCD)) $(BENCH_ARGS)

clean:
	rm -rf $(BUILD)

.PHONY: all deps deps-packages run cluster cluster-stop unit integration test \
        san fuzz fuzz-deps fuzz-smoke bench bench-cluster bench-flat bench-memory bench-micro bench-cdr bench-scrape clean
