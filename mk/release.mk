# Releases (issue 13): the GitHub release assets the seed's workflows end on.
#   make publish RELEASE_TAG=mero-tee-vX.Y.Z CANDIDATES=FILE-or-DIR [IMAGE_FAMILY=...]
#        the node image release: published-mrtds.json, the checksums file re-signed
#   make release-policy KMS_VERSION=X.Y.Z
#        the KMS release mero-kms-vX.Y.Z: the profiles' policy files, the legacy copy,
#        kms-phala-compatibility-map.json, the checksums file and every signature
#   make verify-release RELEASE_TAG=TAG      a release checked as a consumer checks it
#   make verify-releases [AUDIT_LAST=5]      the same over the latest releases (the auditor)
#   make verify-node RELEASE_TAG=mero-tee-vX.Y.Z PROFILE=P QUOTE=FILE [COLLATERAL=FILE]
#        a running VM's quote decided against the release's published measurements
# The work goes on in mk/release/ (one script per target, mk/release/lib.sh); the
# programs are mrtd-publish, policy-bundle, release-sums, release-fetch, release-upload,
# cosign-wrap. Every knob is checked in mk/knobs.mk before anything runs and reaches the
# scripts through the environment; the secrets (GH_RELEASE_TOKEN or GITHUB_TOKEN,
# COSIGN_KEY, COSIGN_PASSWORD) are read from the environment by the programs. These
# targets talk to the GitHub API (GITHUB_API_URL).
RELEASE_REPO ?= calimero-network/mero-tee
RELEASE_TAG ?=
CANDIDATES ?=
IMAGE_FAMILY ?= mero-tee
ALLOW_SIMULATED ?= 0
DRY_RUN ?= 0
REPLACE ?= 0
PUBLISH_RELEASE ?= 0
# the default branch promotions merge into (BASE_BRANCH of make promote, master)
RELEASE_BRANCH ?= origin/master
COSIGN_PUB ?= cosign.pub
QUOTE ?=
VERIFY_AT ?=
AUDIT_LAST ?= 5
AUDIT_PREFIX ?= mero-
# the checksums file: node-image-gcp-checksums.txt for a node image release,
# kms-phala-checksums.txt for a KMS release; verify-release finds the release's own
CHECKSUMS ?=
publish verify-node: CHECKSUMS := $(or $(value CHECKSUMS),node-image-gcp-checksums.txt)
release-policy: CHECKSUMS := $(or $(value CHECKSUMS),kms-phala-checksums.txt)
# KMS_VERSION has a default for the probe (mk/probe.mk): a release names its version
release-policy: export KMS_VERSION := $(if $(filter file default undefined,$(origin KMS_VERSION)),,$(value KMS_VERSION))
export RELEASE_REPO RELEASE_TAG CANDIDATES IMAGE_FAMILY ALLOW_SIMULATED DRY_RUN REPLACE PUBLISH_RELEASE \
  RELEASE_BRANCH COSIGN_PUB QUOTE VERIFY_AT AUDIT_LAST AUDIT_PREFIX CHECKSUMS POLICY_DIR PROFILE COLLATERAL \
  ROOT_CA PCCS_URL

export REL_PROFILES := $(PROFILES)
REL_ENV = BIN=$(BIN)
REL_BINS = $(addprefix $(BIN)/,release-fetch release-upload release-sums cosign-wrap mrtd-publish policy-bundle \
  policy-lint policy-check quote-verify collateral-fetch)

.PHONY: publish release-policy verify-release verify-releases verify-node

publish: $(REL_BINS)
	$(Q)$(REL_ENV) REL_DIR=$(ARTIFACTS)/publish REL_VERSIONS=$(POLICY_DIR)/versions.json mk/release/publish

release-policy: $(REL_BINS)
	$(Q)$(REL_ENV) REL_DIR=$(ARTIFACTS)/release-policy mk/release/release-policy

verify-release: $(REL_BINS)
	$(Q)$(REL_ENV) REL_DIR=$(ARTIFACTS)/verify-release mk/release/verify

verify-releases: $(REL_BINS)
	$(Q)$(REL_ENV) REL_DIR=$(ARTIFACTS)/verify-release mk/release/audit

verify-node: $(REL_BINS)
	$(Q)$(REL_ENV) REL_DIR=$(ARTIFACTS)/verify-node mk/release/verify-node

help-extra::
	@echo "  publish         RELEASE_TAG=mero-tee-vX.Y.Z CANDIDATES=FILE-or-DIR [IMAGE_FAMILY=] [ALLOW_SIMULATED=1]"
	@echo "                  [DRY_RUN=1] [REPLACE=1] [PUBLISH_RELEASE=1]: published-mrtds.json to the node release"
	@echo "  release-policy  KMS_VERSION=X.Y.Z [RELEASE_BRANCH=origin/master] [DRY_RUN=1] [PUBLISH_RELEASE=1]:"
	@echo "                  the profiles' policy files to the KMS release mero-kms-vX.Y.Z"
	@echo "  verify-release  RELEASE_TAG=TAG [COSIGN_PUB=cosign.pub]: check a release's assets and signatures"
	@echo "  verify-releases [AUDIT_LAST=5] [AUDIT_PREFIX=mero-]: verify-release over the latest releases"
	@echo "  verify-node     RELEASE_TAG=mero-tee-vX.Y.Z PROFILE=p QUOTE=FILE [COLLATERAL=FILE] [VERIFY_AT=s]"
