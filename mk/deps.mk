# make deps: install every Debian package the project needs, idempotently.
# apt-get update runs only when something is missing; sudo when not root.
DEB_PACKAGES := gcc make pkg-config libc6-dev libjq-dev jq libcurl4-openssl-dev libssl-dev openssl \
  libsodium-dev libmicrohttpd-dev bats bats-assert bats-support valgrind clang libclang-rt-14-dev \
  python3 python3-yaml ca-certificates git curl procps iproute2 xxd hyperfine bsdutils strace util-linux \
  shellcheck libyaml-dev parallel
# the Actions artifact zip of make promote RUN_ID=n (policy-promote only)
DEB_PACKAGES += libzip-dev
# node and npm run the benchmark peers (npm @phala/dcap-qvl): Debian's packages
# unless a node is already on PATH (a newer one from elsewhere conflicts with them)
DEB_NODE = $(if $(shell command -v node),,nodejs) $(if $(shell command -v npm),,npm)

.PHONY: deps
deps:
	$(Q)missing=$$({ dpkg-query -W -f='$${db:Status-Abbrev} $${binary:Package}\n' $(DEB_PACKAGES) 2>/dev/null || true; } \
	   | awk '$$1=="ii"{sub(/:.*/,"",$$2); print $$2}' | sort -u | comm -13 - <(printf '%s\n' $(DEB_PACKAGES) | sort -u)); \
	missing=$$(echo $$missing $(DEB_NODE)); \
	if [ -z "$$missing" ]; then echo "deps: all $(words $(DEB_PACKAGES)) packages installed"; exit 0; fi; \
	sudo=; [ "$$(id -u)" = 0 ] || sudo=sudo; \
	echo "deps: installing" $$missing; \
	$$sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq; \
	$$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	echo "deps: done"
