# mero-policy: attestation-policy lifecycle as make targets over small C filters.
# `make help` lists the targets and knobs. Each concern lives in mk/*.mk.

.DEFAULT_GOAL := all
include mk/config.mk
include mk/deps.mk
include mk/build.mk
include $(wildcard mk/keys.mk mk/probe.mk mk/promote.mk mk/publish.mk mk/guards.mk)
include mk/test.mk
