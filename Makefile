# kumo — build, test, demo.  `make` builds ./kumo; `make check` runs every test;
# `make demo` runs the main job end to end; `make asan` builds with ASan+UBSan.
# Missing Debian packages are installed by scripts/setup-deps.sh (as root).

CC      ?= cc
PKGS    := libdeflate zlib libarchive libzstd sqlite3 libcrypto libpcre2-8 libmaxminddb yaml-0.1
BUILD   ?= build
OPT     ?= -O2
SAN     ?=
CFLAGS_BASE := -std=c11 -D_GNU_SOURCE -g $(OPT) $(SAN) -Wall -Wextra -Werror \
               -Wshadow -Wno-unused-parameter -Wno-format-truncation -Isrc -pthread
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
# libarchive, libcrypto and libmaxminddb are dlopen'ed on first use (src/ingest/decode.c,
# src/core/hash.c, src/geo/mmdb.c): not linked, so commands that need none start sooner
PKG_LIBS   = $(filter-out -larchive -lcrypto -lmaxminddb,$(shell pkg-config --libs $(PKGS) 2>/dev/null))
CFLAGS  = $(CFLAGS_BASE) $(PKG_CFLAGS)
LDLIBS  = $(PKG_LIBS) -lm -pthread

LIB_SRC  := $(shell find src -name '*.c' ! -name main.c | sort)
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o)
TEST_SRC := $(sort $(wildcard tests/unit/test_*.c))
TEST_BIN := $(TEST_SRC:tests/unit/%.c=$(BUILD)/tests/%)
FUZZ_SRC := $(sort $(wildcard tests/fuzz/fuzz_*.c))

.PHONY: all deps check asan demo fuzz clean bench tests geodb
all: deps kumo geodb

deps:
	@sh scripts/setup-deps.sh

kumo: $(BUILD)/kumo
	@cp -f $(BUILD)/kumo kumo

$(BUILD)/kumo: $(BUILD)/src/main.o $(BUILD)/libkumo.a
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

# The built-in offline geo database (docs/geo.md), made from Debian data when
# it is installed (scripts/setup-deps.sh); kumo finds it next to its binary.
GEO_DB     := share/kumo/kumo-geo.kgeo
GEO_INPUTS := $(wildcard /usr/share/tor/geoip /usr/share/tor/geoip6 \
                /usr/share/libloc-location/location.db \
                /usr/share/libtimezonemap/ui/countryInfo.txt \
                /usr/share/libtimezonemap/ui/cities15000.txt)
geodb: $(if $(GEO_INPUTS),$(GEO_DB))
$(GEO_DB): $(GEO_INPUTS) src/geo/kgeo.h src/geo/kgeo_build.c | $(BUILD)/kumo
	@mkdir -p $(dir $@)
	$(BUILD)/kumo geo build --out $@

$(BUILD)/libkumo.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libkumo.a $(wildcard tests/unit/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Itests/unit -o $@ $< $(BUILD)/libkumo.a $(LDLIBS) -larchive

tests: $(TEST_BIN)

# Every test: unit binaries, end-to-end scripts, conformance, corpus, crash test.
check: deps
	@$(MAKE) --no-print-directory kumo tests geodb
	@sh tests/run.sh $(BUILD)

asan:
	@sh scripts/setup-deps.sh
	@$(MAKE) --no-print-directory BUILD=build-asan OPT=-O1 \
	  SAN="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined" \
	  build-asan/kumo $(TEST_SRC:tests/unit/%.c=build-asan/tests/%)
	@ASAN_OPTIONS=detect_leaks=1 KUMO=build-asan/kumo sh tests/run.sh build-asan

demo: deps
	@$(MAKE) --no-print-directory kumo
	@sh scripts/demo.sh

# libFuzzer targets (clang): build/fuzz/fuzz_NAME; run one with `build/fuzz/fuzz_json tests/fuzz/corpus/json`.
fuzz: deps
	@mkdir -p $(BUILD)/fuzz
	@for f in $(FUZZ_SRC); do n=$$(basename $$f .c); \
	  echo "  FUZZ $$n"; \
	  clang -std=c11 -D_GNU_SOURCE -g -O1 -Isrc -fsanitize=fuzzer,address,undefined $(PKG_CFLAGS) \
	    -o $(BUILD)/fuzz/$$n $$f $(filter-out src/main.c,$(LIB_SRC)) $(LDLIBS) || exit 1; done

bench: kumo
	@sh bench/ingest

clean:
	rm -rf build build-asan kumo

-include $(LIB_OBJ:.o=.d) $(BUILD)/src/main.d
