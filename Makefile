# twmon — build, run, test, install.
#   make run       build and run twmond in the foreground with config/twmond.toml
#   make test      all tests (the root-only ones skip with a reason unless root or CI=true)
#   make install   install binaries, units, config and catalog (PREFIX, DESTDIR)
#   make bench     the scan benchmark (root)

SWIFT        ?= swift
PREFIX       ?= /usr/local
DESTDIR      ?=
CONFIG       ?= config/twmond.toml
BUILD_FLAGS  ?=
RELEASE_BIN   = .build/release
DEBUG_BIN     = .build/debug
APT_PACKAGES  = libsystemd-dev pkg-config

.PHONY: all build release deps run test install uninstall bench clean

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

test: deps
	$(SWIFT) build --build-tests $(BUILD_FLAGS)
	$(SWIFT) test --skip-build $(BUILD_FLAGS)

clean:
	rm -rf .build
