# mero-policy: attestation-policy lifecycle as make targets over small C filters.
# `make help` lists the targets and knobs. Each concern lives in mk/*.mk.

.DEFAULT_GOAL := all
# first: every knob is checked before anything references it
include mk/knobs.mk
include mk/config.mk
include mk/deps.mk
include mk/build.mk
# every other concern: one file each (probe, keys, promote, publish, guards, ...)
include $(sort $(filter-out mk/knobs.mk mk/config.mk mk/deps.mk mk/build.mk mk/test.mk,$(wildcard mk/*.mk)))
include mk/test.mk
