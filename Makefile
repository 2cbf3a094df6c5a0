# twmon — build, run, test, install.
#   make run       build and run twmond in the foreground with config/twmond.toml
#   make test      all tests (the root-only ones skip with a reason unless root or CI=true)
#   make install   install binaries, units, config and catalog (PREFIX, DESTDIR)
#   make test-e2e  the end-to-end test under a real systemd in a container (root)
#   make bench     the scan benchmark (root)
#   make fuzz      the libFuzzer targets, 60 s each (FUZZ_SECONDS); also part of make test

SWIFT        ?= swift
PREFIX       ?= /usr/local
DESTDIR      ?=
CONFIG       ?= config/twmond.toml
BUILD_FLAGS  ?=
RELEASE_BIN   = .build/release
DEBUG_BIN     = .build/debug
APT_PACKAGES  = libsystemd-dev pkg-config

UNITDIR      ?= $(PREFIX)/lib/systemd/system
CATALOGDIR   ?= $(PREFIX)/lib/systemd/catalog
DOCDIR       ?= $(PREFIX)/share/doc/twmon
CONFDIR      ?= /etc/twmond
# A foreground run as a normal user cannot bind /run/twmond.sock.
RUN_SOCKET   ?= $(if $(filter 0,$(shell id -u)),/run/twmond.sock,$(or $(XDG_RUNTIME_DIR),/tmp)/twmond.sock)

.PHONY: all build release deps run test test-e2e fuzz install uninstall bench clean

all: build

# The C library and headers the build links against (libsystemd through pkg-config).
deps:
	@if ! pkg-config --exists libsystemd 2>/dev/null; then \
	    if [ "$$(id -u)" = 0 ]; then \
	        echo "Installing $(APT_PACKAGES) ..."; \
	        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(APT_PACKAGES); \
	    else \
	        echo "twmon needs libsystemd and pkg-config to build. Install them with:"; \
	        echo "    sudo apt-get install -y $(APT_PACKAGES)"; \
	        exit 1; \
	    fi; \
	fi

build: deps
	$(SWIFT) build $(BUILD_FLAGS)

release: deps
	$(SWIFT) build -c release $(BUILD_FLAGS)

# Runs the daemon in the foreground with the shipped configuration; alerts and log lines
# appear on the terminal. Ctrl-C stops it.
run: build
	$(DEBUG_BIN)/twmond --config $(CONFIG) --socket $(RUN_SOCKET)

test: deps
	$(SWIFT) build --build-tests $(BUILD_FLAGS)
	$(SWIFT) test --skip-build $(BUILD_FLAGS)
	$(MAKE) --no-print-directory fuzz
	@if [ "$$(id -u)" = 0 ] || [ "$(CI)" = true ]; then \
	    $(MAKE) --no-print-directory test-e2e; \
	else \
	    echo "skipping test-e2e (boots systemd in a container): needs root; run 'sudo make test-e2e'"; \
	fi

# The libFuzzer targets (Tests/Fuzz): /proc rows, Varlink messages, the configuration; built
# with -sanitize=fuzzer,address into .build-fuzz, each run FUZZ_SECONDS (60), failing on a
# crash, a leak or an over-limit allocation. Needs no root.
FUZZ_SECONDS ?= 60
fuzz:
	FUZZ_SECONDS=$(FUZZ_SECONDS) Tests/Fuzz/run.sh

# End to end under a real systemd: make install into a stage, boot a throw-away
# systemd-nspawn container, check the units as an operator would (Tests/e2e/).
test-e2e:
	Tests/e2e/systemd-container.sh

# Binaries, units, configuration (never overwriting an existing one), catalog, docs; then
# tells systemd and journald about them when systemd runs this machine.
install: release
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(UNITDIR) $(DESTDIR)$(CATALOGDIR) $(DESTDIR)$(DOCDIR) $(DESTDIR)$(CONFDIR)
	install -m 0755 $(RELEASE_BIN)/twmond $(RELEASE_BIN)/twmonctl $(DESTDIR)$(PREFIX)/bin/
	sed 's|/usr/local/bin/|$(PREFIX)/bin/|g; s|/etc/twmond/|$(CONFDIR)/|g' systemd/twmond.service > $(DESTDIR)$(UNITDIR)/twmond.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/twmond.service
	install -m 0644 systemd/twmond.socket $(DESTDIR)$(UNITDIR)/twmond.socket
	sed 's|/usr/share/doc/twmon/|$(DOCDIR)/|g' systemd/twmond.catalog > $(DESTDIR)$(CATALOGDIR)/twmond.catalog
	chmod 0644 $(DESTDIR)$(CATALOGDIR)/twmond.catalog
	install -m 0644 README.md $(DESTDIR)$(DOCDIR)/README.md
	@if [ -e $(DESTDIR)$(CONFDIR)/twmond.toml ]; then \
	    echo "keeping existing $(DESTDIR)$(CONFDIR)/twmond.toml (the shipped default is config/twmond.toml)"; \
	else \
	    install -m 0644 $(CONFIG) $(DESTDIR)$(CONFDIR)/twmond.toml; \
	fi
	@if [ -z "$(DESTDIR)" ] && [ -d /run/systemd/system ]; then \
	    systemctl daemon-reload && journalctl --update-catalog && \
	    echo "installed; start with: systemctl enable --now twmond.socket twmond.service"; \
	fi

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/twmond $(DESTDIR)$(PREFIX)/bin/twmonctl
	rm -f $(DESTDIR)$(UNITDIR)/twmond.service $(DESTDIR)$(UNITDIR)/twmond.socket
	rm -f $(DESTDIR)$(CATALOGDIR)/twmond.catalog $(DESTDIR)$(DOCDIR)/README.md
	@if [ -z "$(DESTDIR)" ] && [ -d /run/systemd/system ]; then systemctl daemon-reload; journalctl --update-catalog; fi

# The scan benchmark: private network namespaces with 10 000, 50 000 and 120 000 server-side
# TIME_WAIT sockets, the /proc floor and both scans measured in one process, the real twmond's
# memory and CPU. Needs root, iproute2 and procps; takes about 10 minutes. Prints a table and
# writes bench-results/bench.json. Options go in BENCH_FLAGS, e.g.
# BENCH_FLAGS="--sizes 10000 --memory-scans 100 --cpu-seconds 10" for a quick look.
BENCH_FLAGS  ?=
bench: deps
	@if [ "$$(id -u)" != 0 ]; then echo "make bench needs root: it creates network namespaces (ip netns)"; exit 1; fi
	$(SWIFT) build -c release $(BUILD_FLAGS)
	$(RELEASE_BIN)/twmon-bench run --bin-dir $(RELEASE_BIN) --output bench-results/bench.json $(BENCH_FLAGS)

clean:
	rm -rf .build .build-fuzz
