# Thin wrapper around CMake and the test scripts. See README.md.
BUILD      ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
JOBS       ?= $(shell nproc)

PREFIX     ?= /usr/local
DESTDIR    ?=

.PHONY: all deps build test demo bench clean asan fuzz check-fast image install

all: build

deps:
	@sh scripts/deps.sh

build:
	@cmake -S . -B $(BUILD) -DSS_WERROR=ON >/dev/null
	@cmake --build $(BUILD) -j$(JOBS)

# Both programs to $(DESTDIR)$(PREFIX)/bin, every docs/*.1 and docs/*.8 to
# share/man/man1 and man8, and sealctl's shell completions. DESTDIR is for
# packagers (a staging root); PREFIX is where the files will live.
install: build
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 \
		$(DESTDIR)$(PREFIX)/share/man/man8 \
		$(DESTDIR)$(PREFIX)/share/bash-completion/completions \
		$(DESTDIR)$(PREFIX)/share/zsh/site-functions \
		$(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d
	install -m 0755 $(BUILD)/sealctl $(BUILD)/sealsync-agent $(DESTDIR)$(PREFIX)/bin/
	for f in docs/*.1; do [ ! -e "$$f" ] || install -m 0644 "$$f" $(DESTDIR)$(PREFIX)/share/man/man1/ || exit 1; done
	for f in docs/*.8; do [ ! -e "$$f" ] || install -m 0644 "$$f" $(DESTDIR)$(PREFIX)/share/man/man8/ || exit 1; done
	$(BUILD)/sealctl completion bash >$(DESTDIR)$(PREFIX)/share/bash-completion/completions/sealctl
	$(BUILD)/sealctl completion zsh >$(DESTDIR)$(PREFIX)/share/zsh/site-functions/_sealctl
	$(BUILD)/sealctl completion fish >$(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d/sealctl.fish

asan:
	@cmake -S . -B $(ASAN_BUILD) -DSS_WERROR=ON -DSS_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug >/dev/null
	@cmake --build $(ASAN_BUILD) -j$(JOBS)

fuzz:
	@CC=clang cmake -S . -B $(FUZZ_BUILD) -DSS_FUZZ=ON -DSS_WERROR=ON >/dev/null
	@cmake --build $(FUZZ_BUILD) -j$(JOBS)

# The whole suite: release build, sanitizer build, valgrind, fuzz, e2e.
test: deps
	@sh tests/run.sh

# Only the release build's unit, vector and e2e tests (for development).
check-fast: build
	@SS_STAGES=release sh tests/run.sh

# The product image without a registry (docs/IMAGE.md): the base from Debian's
# packages when it is missing, then sealsync:dev from the host's release build.
image:
	@sh scripts/image.sh

demo: deps build
	@sh examples/demo.sh

bench: deps build
	@sh bench/run.sh

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD) build-release .image

# gcc -fanalyzer over the libraries, both programs and the test API server; any
# analyzer warning fails the build. Not part of `make test`: a full analyzer
# build takes several minutes on 2 cores, too slow for CI's budget.
ANALYZE_BUILD ?= build-analyze
ANALYZE_TARGETS = ss_common ss_crypto ss_manifest ss_import ss_agent_base ss_agent_kube ss_agent_git ss_agent_keys ss_agent_render ss_agent_sync ss_agent_serve sealctl sealsync-agent ss-apiserver

.PHONY: analyze
analyze:
	@CC=gcc cmake -S . -B $(ANALYZE_BUILD) -DSS_WERROR=ON \
		-DCMAKE_C_FLAGS="-fanalyzer -Werror" >/dev/null
	@cmake --build $(ANALYZE_BUILD) -j$(JOBS) --target $(ANALYZE_TARGETS)
