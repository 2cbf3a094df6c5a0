# twmon — build, run, test, install.
#   make run       build and run twmond in the foreground with config/twmond.toml
#   make test      all tests (the root-only ones skip with a reason unless root or CI=true)
#   make deb       the Debian package dist/twmon_<version>_amd64.deb (debhelper)
#   make install   install binaries, units, config, catalog and man pages (PREFIX, DESTDIR)
#   make test-e2e  the end-to-end test under a real systemd in a container (root)
#   make bench     the scan benchmark (root)
#   make fuzz      the libFuzzer targets, 60 s each (FUZZ_SECONDS); also part of make test
#   make promtool  the alert rules' unit tests and a real exposition through promtool; part of make test

SWIFT        ?= swift
PREFIX       ?= /usr/local
DESTDIR      ?=
CONFIG       ?= config/twmond.toml
BUILD_FLAGS  ?=
# Release binaries carry the Swift runtime inside (no RUNPATH into the toolchain), so they run
# on a host without Swift; only Debian's libc6, libstdc++6, libgcc-s1 and libsystemd0 remain.
# Full RELRO (relro + bindnow), as Debian's hardening flags ask of packaged binaries.
# --no-export-dynamic: an executable need not export the ~14 000 symbols of the static Swift
# runtime and packages; their symbol tables and relocations cost ~2.5 MiB of resident memory.
RELEASE_FLAGS = -c release --static-swift-stdlib -Xlinker -z -Xlinker relro -Xlinker -z -Xlinker now \
                -Xlinker --no-export-dynamic
RELEASE_BIN   = .build/release
DEBUG_BIN     = .build/debug
MAN_DIR       = .build/man
APT_PACKAGES  = libsystemd-dev pkg-config libbpf-dev
DEB_PACKAGES  = debhelper dpkg-dev fakeroot lintian
# The monitors make bench measures twmond against, in the same namespace and run.
BENCH_PACKAGES = collectd-core prometheus-node-exporter

SBINDIR      ?= $(PREFIX)/sbin
BINDIR       ?= $(PREFIX)/bin
MANDIR       ?= $(PREFIX)/share/man
UNITDIR      ?= $(PREFIX)/lib/systemd/system
CATALOGDIR   ?= $(PREFIX)/lib/systemd/catalog
DOCDIR       ?= $(PREFIX)/share/doc/twmon
CONFDIR      ?= /etc/twmond
# A foreground run as a normal user cannot bind /run/twmond.sock.
RUN_SOCKET   ?= $(if $(filter 0,$(shell id -u)),/run/twmond.sock,$(or $(XDG_RUNTIME_DIR),/tmp)/twmond.sock)

.PHONY: all build release man deb deps run test test-e2e fuzz promtool install install-files uninstall bench clean

all: build

# The C libraries and headers the build links against (libsystemd through pkg-config; libbpf
# for the close-event source, whose BPF program the Swift toolchain's clang compiles).
deps:
	@if ! pkg-config --exists libsystemd libbpf 2>/dev/null; then \
	    if [ "$$(id -u)" = 0 ]; then \
	        echo "Installing $(APT_PACKAGES) ..."; \
	        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(APT_PACKAGES); \
	    else \
	        echo "twmon needs libsystemd, libbpf and pkg-config to build. Install them with:"; \
	        echo "    sudo apt-get install -y $(APT_PACKAGES)"; \
	        exit 1; \
	    fi; \
	fi

build: deps
	$(SWIFT) build $(BUILD_FLAGS)

release: deps
	$(SWIFT) build $(RELEASE_FLAGS) $(BUILD_FLAGS)

# twmond(8) and twmonctl(1) generated from the argument parsers by swift-argument-parser's
# generate-manual; twmond.toml(5) is written by hand (doc/), from the same facts as
# config/twmond.toml. The date is the one of the newest debian/changelog entry.
MAN_DATE = $(shell date -u -d "$$(dpkg-parsechangelog -S Date 2>/dev/null || date -R)" +%Y-%m-%d)
man: release
	$(SWIFT) build $(RELEASE_FLAGS) $(BUILD_FLAGS) --product generate-manual
	rm -rf $(MAN_DIR) && mkdir -p $(MAN_DIR)
	$(RELEASE_BIN)/generate-manual $(RELEASE_BIN)/twmond --section 8 --date $(MAN_DATE) --output-directory $(MAN_DIR)
	$(RELEASE_BIN)/generate-manual $(RELEASE_BIN)/twmonctl --section 1 --date $(MAN_DATE) --output-directory $(MAN_DIR)
	cp doc/twmond.toml.5 $(MAN_DIR)/

# The Debian package, built by debhelper from debian/ (binary only, unsigned) into dist/,
# then checked with lintian. Needs the Swift toolchain on PATH and, to build, the
# packages in DEB_PACKAGES (installed here when root).
deb: deps
	@if ! command -v dh >/dev/null || ! command -v lintian >/dev/null; then \
	    if [ "$$(id -u)" = 0 ]; then \
	        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(DEB_PACKAGES); \
	    else \
	        echo "make deb needs debhelper and lintian: sudo apt-get install -y $(DEB_PACKAGES)"; exit 1; \
	    fi; \
	fi
	rm -rf dist
	debian/rules clean
	dpkg-buildpackage --build=binary --no-sign --no-pre-clean --buildinfo-option=-u$(CURDIR)/dist --changes-option=-u$(CURDIR)/dist \
	    --buildinfo-file=$(CURDIR)/dist/twmon.buildinfo --changes-file=$(CURDIR)/dist/twmon.changes
	lintian --fail-on error,warning --info dist/twmon_*_amd64.deb
	@ls -l dist/*.deb

# Runs the daemon in the foreground with the shipped configuration; alerts and log lines
# appear on the terminal. Ctrl-C stops it.
run: build
	$(DEBUG_BIN)/twmond --config $(CONFIG) --socket $(RUN_SOCKET)

test: deps
	$(SWIFT) build --build-tests $(BUILD_FLAGS)
	$(SWIFT) test --skip-build $(BUILD_FLAGS)
	@if [ "$$(id -u)" = 0 ] || [ "$(CI)" = true ]; then \
	    Tests/scripts/netns-churn-rss.sh $(DEBUG_BIN); \
	else \
	    echo "skipping the namespace churn check (makes 10 000 network namespaces): needs root; run 'sudo Tests/scripts/netns-churn-rss.sh'"; \
	fi
	$(MAKE) --no-print-directory promtool
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

# The Prometheus alert rules' unit tests (contrib/prometheus/*.test.yml), `promtool check
# rules`, and `promtool check metrics` on the exposition of a real twmond (Debian's
# prometheus package provides promtool; .ci/run installs it).
promtool:
	@if ! command -v promtool >/dev/null && [ "$(CI)" != true ]; then \
	    echo "skipping the promtool checks: promtool missing (sudo apt-get install prometheus); they run when CI=true"; \
	else \
	    set -e; \
	    promtool check rules contrib/prometheus/twmon.rules.yml; \
	    promtool test rules contrib/prometheus/*.test.yml; \
	    Tests/scripts/check-exposition.sh $(DEBUG_BIN); \
	fi

# End to end under a real systemd: make install into a stage, boot a throw-away
# systemd-nspawn container, check the units as an operator would (Tests/e2e/).
test-e2e:
	Tests/e2e/systemd-container.sh

# Binaries, units, configuration (never overwriting an existing one), catalog, docs; then
# tells systemd and journald about them when systemd runs this machine.
install: release man install-files
	@if [ -z "$(DESTDIR)" ] && [ -d /run/systemd/system ]; then \
	    systemctl daemon-reload && journalctl --update-catalog && \
	    echo "installed; start with: systemctl enable --now twmond.socket twmond.service"; \
	fi

# The files alone, from an existing release build and man pages (used by debian/rules).
install-files:
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(BINDIR) $(DESTDIR)$(UNITDIR) $(DESTDIR)$(CATALOGDIR) $(DESTDIR)$(DOCDIR) $(DESTDIR)$(CONFDIR) \
	    $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8
	install -m 0755 $(RELEASE_BIN)/twmond $(DESTDIR)$(SBINDIR)/
	install -m 0755 $(RELEASE_BIN)/twmonctl $(DESTDIR)$(BINDIR)/
	install -m 0644 $(MAN_DIR)/twmonctl.1 $(DESTDIR)$(MANDIR)/man1/
	install -m 0644 $(MAN_DIR)/twmond.toml.5 $(DESTDIR)$(MANDIR)/man5/
	install -m 0644 $(MAN_DIR)/twmond.8 $(DESTDIR)$(MANDIR)/man8/
	sed 's|^ExecStart=/usr/sbin/|ExecStart=$(SBINDIR)/|; s|/etc/twmond/|$(CONFDIR)/|g' systemd/twmond.service > $(DESTDIR)$(UNITDIR)/twmond.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/twmond.service
	install -m 0644 systemd/twmond.socket $(DESTDIR)$(UNITDIR)/twmond.socket
	install -m 0644 systemd/twmond-metrics.socket $(DESTDIR)$(UNITDIR)/twmond-metrics.socket
	install -d $(DESTDIR)$(DOCDIR)/examples/prometheus $(DESTDIR)$(DOCDIR)/examples/twmond.service.d
	install -m 0644 contrib/prometheus/twmon.rules.yml $(DESTDIR)$(DOCDIR)/examples/prometheus/
	install -m 0644 contrib/systemd/twmond.service.d/node-exporter-textfile.conf $(DESTDIR)$(DOCDIR)/examples/twmond.service.d/
	install -m 0644 systemd/twmond.service.d/ebpf.conf $(DESTDIR)$(DOCDIR)/examples/twmond.service.d/
	sed 's|/usr/share/doc/twmon/|$(DOCDIR)/|g' systemd/twmond.catalog > $(DESTDIR)$(CATALOGDIR)/twmond.catalog
	chmod 0644 $(DESTDIR)$(CATALOGDIR)/twmond.catalog
	install -m 0644 README.md $(DESTDIR)$(DOCDIR)/README.md
	@if [ -e $(DESTDIR)$(CONFDIR)/twmond.toml ]; then \
	    echo "keeping existing $(DESTDIR)$(CONFDIR)/twmond.toml (the shipped default is config/twmond.toml)"; \
	else \
	    install -m 0644 $(CONFIG) $(DESTDIR)$(CONFDIR)/twmond.toml; \
	fi

uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/twmond $(DESTDIR)$(BINDIR)/twmonctl
	rm -f $(DESTDIR)$(MANDIR)/man1/twmonctl.1 $(DESTDIR)$(MANDIR)/man5/twmond.toml.5 $(DESTDIR)$(MANDIR)/man8/twmond.8
	rm -f $(DESTDIR)$(UNITDIR)/twmond.service $(DESTDIR)$(UNITDIR)/twmond.socket $(DESTDIR)$(UNITDIR)/twmond-metrics.socket
	rm -rf $(DESTDIR)$(DOCDIR)/examples
	rm -f $(DESTDIR)$(CATALOGDIR)/twmond.catalog $(DESTDIR)$(DOCDIR)/README.md
	@if [ -z "$(DESTDIR)" ] && [ -d /run/systemd/system ]; then systemctl daemon-reload; journalctl --update-catalog; fi

# The scan benchmark: private network namespaces with 10 000, 50 000 and 120 000 server-side
# TIME_WAIT sockets, the /proc floor and both scans measured in one process, the real twmond
# with each source beside collectd (tcpconns) and node_exporter (tcpstat) over the same
# seconds, twmond's memory and CPU. Needs root, iproute2 and procps; installs BENCH_PACKAGES
# when missing (on a host run by systemd, apt also starts their services); takes about 13
# minutes. Prints a table and writes bench-results/bench.json. Options go in BENCH_FLAGS, e.g.
# BENCH_FLAGS="--sizes 10000 --memory-scans 100 --cpu-seconds 10 --peer-seconds 10" for a quick look.
BENCH_FLAGS  ?=
bench: deps
	@if [ "$$(id -u)" != 0 ]; then echo "make bench needs root: it creates network namespaces (ip netns)"; exit 1; fi
	@if ! command -v collectd >/dev/null || ! command -v prometheus-node-exporter >/dev/null; then \
	    echo "Installing $(BENCH_PACKAGES) ..."; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(BENCH_PACKAGES); \
	fi
	$(SWIFT) build $(RELEASE_FLAGS) $(BUILD_FLAGS)
	$(RELEASE_BIN)/twmon-bench run --bin-dir $(RELEASE_BIN) --output bench-results/bench.json $(BENCH_FLAGS)

clean:
	rm -rf .build .build-fuzz dist
