# Knobs are data. Every knob a recipe or a program sees is checked here, with
# make functions only, before anything else in the makefiles references it:
# a variable from the command line or the environment is expanded when it is
# referenced (`make KMS_VERSION='$(shell touch /tmp/x)'` would run the shell),
# so the raw text is read with $(value NAME), never expanded, and a bad value
# stops make at once with one line naming the knob (exit 2). Checked values
# reach programs through the environment (export) or as plain file names.
#
# Another makefile adds its own knobs with one line each, before it uses them:
#   $(call knob,NAME,KIND)      KIND: path url version image port listen number
#                               seconds bool word id profile staging simflags
#                               statuses paths flags rev labels branch pair
#                               families; or $(call knob_in,NAME,A B C)
# Secrets are never make variables in recipes: see SECRETS below.

empty :=
space := $(empty) $(empty)
tab := $(empty)	$(empty)
comma := ,
hash := \#
define nl


endef

# 1 when the two texts are equal (whitespace aside)
eq = $(if $(subst x$(1),,x$(2))$(subst x$(2),,x$(1)),,1)

DIGITS := 0 1 2 3 4 5 6 7 8 9
LOWER := a b c d e f g h i j k l m n o p q r s t u v w x y z
UPPER := A B C D E F G H I J K L M N O P Q R S T U V W X Y Z
ALNUM := $(DIGITS) $(LOWER) $(UPPER)
HEX := $(DIGITS) a b c d e f

# TEXT without any of the characters of the list CHARS
drop_chars = $(if $(2),$(call drop_chars,$(subst $(firstword $(2)),,$(1)),$(wordlist 2,$(words $(2)),$(2))),$(1))
# 1 when TEXT holds only characters of CHARS; spaces too when the third
# argument is set; never a tab, a newline or any other control character
# (whitespace becomes '"', which no set allows)
chars_ok = $(if $(call drop_chars,$(subst $(nl),",$(subst $(tab),",$(if $(3),$(subst $(space),,$(1)),$(subst $(space),",$(1))))),$(2)),,1)
# lower case
lc = $(call lc_,$(1),$(UPPER),$(LOWER))
lc_ = $(if $(2),$(call lc_,$(subst $(firstword $(2)),$(firstword $(3)),$(1)),$(wordlist 2,26,$(2)),$(wordlist 2,26,$(3))),$(1))
# the number of characters of a text of hex digits
hex_len = $(words $(call spread_,$(1),$(HEX)))
spread_ = $(if $(2),$(call spread_,$(subst $(firstword $(2)),$(firstword $(2)) ,$(1)),$(wordlist 2,$(words $(2)),$(2))),$(1))
rest = $(wordlist 2,$(words $(1)),$(1))
# a value as one line for messages: tabs and newlines written as \t and \n
shown = $(subst $(nl),\n,$(subst $(tab),\t,$(1)))

# ---- kinds: 1 when the raw text is one
digits_ok = $(and $(1),$(call chars_ok,$(1),$(DIGITS)))
PATH_CHARS := $(ALNUM) . _ / + -
kind_path = $(and $(call chars_ok,$(1),$(PATH_CHARS)),$(if $(filter -%,$(1)),,1))
kind_paths = $(and $(call chars_ok,$(1),$(PATH_CHARS),1),$(if $(filter -%,$(1)),,1))
URL_CHARS := $(ALNUM) . _ ~ : / ? @ & + = % [ ] -
kind_url = $(and $(call chars_ok,$(1),$(URL_CHARS)),$(filter http://_% https://_%,$(subst ://,://_,$(1))),$(filter-out http:// https://,$(1)))
# digits.digits.digits, an optional -suffix or +suffix, after an optional v or mero-kms-v
kind_version = $(and $(call chars_ok,$(1),$(ALNUM) . + -),$(call version_ok,$(patsubst v%,%,$(patsubst mero-kms-v%,%,$(1)))))
version_ok = $(call version_parts,$(firstword $(subst -, ,$(subst +, ,$(1)))),$(1))
version_parts = $(and $(1),$(call version_core,$(subst ., . ,$(1))),$(call version_suffix,$(patsubst $(1)%,%,$(2))))
version_core = $(and $(call eq,$(words $(1)),5),$(call eq,$(word 2,$(1))$(word 4,$(1)),..),$(call digits_ok,$(word 1,$(1))$(word 3,$(1))$(word 5,$(1))))
version_suffix = $(if $(1),$(and $(filter -% +%,$(1)),$(filter-out - +,$(1))),1)
# name@sha256:<64 lower-case hex>
kind_image = $(and $(call chars_ok,$(1),$(ALNUM) . _ / : - @),$(call image_parts,$(subst @sha256:, ,$(1)),$(1)))
image_parts = $(and $(call eq,$(words $(1)),2),$(if $(findstring @,$(word 1,$(1))),,1),$(call eq,$(2),$(word 1,$(1))@sha256:$(word 2,$(1))),$(call chars_ok,$(word 2,$(1)),$(HEX)),$(call eq,$(call hex_len,$(word 2,$(1))),64))
kind_port = $(and $(call digits_ok,$(1)),$(if $(word 6,$(call spread_,$(1),$(DIGITS))),,1),$(filter-out 0 00 000 0000 00000,$(1)))
# HOST:PORT on loopback: kms-sim checks the address itself
kind_listen = $(and $(call chars_ok,$(1),$(LOWER) $(DIGITS) . :),$(call eq,$(words $(subst :, ,$(1))),2),$(call digits_ok,$(lastword $(subst :, ,$(1)))),$(filter-out :% %:,$(1)))
# seconds: 2, 0.25
kind_seconds = $(and $(call chars_ok,$(1),$(DIGITS) .),$(call seconds_parts,$(subst ., . ,$(1))))
seconds_parts = $(if $(call eq,$(words $(1)),1),$(call digits_ok,$(1)),$(and $(call eq,$(words $(1)),3),$(call eq,$(word 2,$(1)),.),$(call digits_ok,$(word 1,$(1))$(word 3,$(1)))))
kind_number = $(call digits_ok,$(1))
kind_bool = $(and $(call chars_ok,$(1),0 1),$(filter 0 1,$(1)))
# a lower-case word (SOURCE: sim, phala, url, gcp, ...)
kind_word = $(and $(call chars_ok,$(1),$(LOWER) $(DIGITS) -),$(if $(filter -%,$(1)),,1))
kind_id = $(and $(call chars_ok,$(1),$(ALNUM) _ . -),$(if $(filter -%,$(1)),,1))
kind_profile = $(and $(call chars_ok,$(1),$(LOWER) -),$(filter $(PROFILES),$(1)),$(call eq,$(words $(1)),1))
kind_staging = $(and $(call chars_ok,$(1),$(LOWER)),$(filter sim url phala,$(1)))
# what kms-sim's failure injection accepts: --bad-signature, --debug-td,
# --tcb uptodate|outofdate, --boot-seconds S
kind_simflags = $(and $(call chars_ok,$(1),$(ALNUM) - .,1),$(call simflags_ok,$(1)))
simflags_ok = $(if $(1),$(if $(filter --bad-signature --debug-td,$(firstword $(1))),$(call simflags_ok,$(call rest,$(1))),$(if $(or $(and $(filter --tcb,$(firstword $(1))),$(filter uptodate outofdate,$(word 2,$(1)))),$(and $(filter --boot-seconds,$(firstword $(1))),$(call kind_seconds,$(word 2,$(1))))),$(call simflags_ok,$(call rest,$(call rest,$(1)))))),1)
TCB_STATUSES := UpToDate SWHardeningNeeded ConfigurationNeeded ConfigurationAndSWHardeningNeeded OutOfDate \
  OutOfDateConfigurationNeeded Revoked TDRelaunchAdvised TDRelaunchAdvisedConfigurationNeeded
# TCB statuses, case-insensitive, separated by spaces or commas
kind_statuses = $(and $(call chars_ok,$(1),$(ALNUM) $(comma),1),$(if $(filter-out $(call lc,$(TCB_STATUSES)),$(call lc,$(subst $(comma), ,$(1)))),,1))
# a git revision (VERSION_SYNC_BASE: origin/master, HEAD~1, a commit id)
kind_rev = $(and $(call chars_ok,$(1),$(ALNUM) _ . / @ { } ~ ^ + -),$(if $(filter -%,$(1)),,1))
# a branch name (BASE_BRANCH, BRANCH): letters, digits and . _ / -, not starting
# with - / or ., no ".." (policy-promote and gh-protect check the rest)
kind_branch = $(and $(call chars_ok,$(1),$(ALNUM) . _ / -),$(if $(filter -% /% .%,$(1)),,1),$(if $(findstring ..,$(1)),,1))
# OWNER/NAME, a repository or a team (GITHUB_REPOSITORY, SECURITY_TEAM)
kind_pair = $(and $(call chars_ok,$(1),$(ALNUM) . _ / -),$(call eq,$(words $(subst /, ,$(1))),2),$(if $(filter /% %/ .% -%,$(1)),,1),$(if $(findstring //,$(1))$(findstring /.,$(1)),,1))
# labels separated by commas (VERSION_SYNC_LABELS)
kind_labels = $(call chars_ok,$(1),$(ALNUM) _ . : / $(comma) -)
# option words for a test runner (BATS_FLAGS)
kind_flags = $(call chars_ok,$(1),$(ALNUM) - = _ . / :,1)

KIND_TEXT_path := a path of letters, digits and . _ / + - (not starting with -)
KIND_TEXT_paths := paths of letters, digits and . _ / + -, separated by spaces
KIND_TEXT_url := an http:// or https:// URL without quotes, spaces, commas or control characters
KIND_TEXT_version := a version: DIGITS.DIGITS.DIGITS with an optional -suffix, after an optional v or mero-kms-v
KIND_TEXT_image := an image pinned by digest: name@sha256:<64 lower-case hex digits>
KIND_TEXT_port := a port number (1 to 5 digits, not 0)
KIND_TEXT_listen := HOST:PORT (kms-sim listens on loopback only)
KIND_TEXT_seconds := a number of seconds (2, 0.25)
KIND_TEXT_number := a whole number
KIND_TEXT_bool := 0 or 1
KIND_TEXT_word := a lower-case word (letters, digits, -)
KIND_TEXT_id := an identifier (letters, digits, _ . -)
KIND_TEXT_profile = one of: $(PROFILES)
KIND_TEXT_staging := sim, url or phala
KIND_TEXT_simflags := kms-sim's failure injection: --bad-signature, --debug-td, --tcb uptodate|outofdate, --boot-seconds S
KIND_TEXT_statuses := TCB statuses separated by spaces or commas, among: $(TCB_STATUSES)
KIND_TEXT_rev := a git revision (letters, digits and _ . / @ { } ~ ^ + -, not starting with -)
KIND_TEXT_labels := labels separated by commas (letters, digits and _ . : / -)
KIND_TEXT_branch := a branch name (letters, digits and . _ / -, not starting with - / or ., no ..)
KIND_TEXT_pair := OWNER/NAME (letters, digits and . _ -)
KIND_TEXT_flags := option words (letters, digits and - = _ . / :)

# set (from anywhere): its raw text holds anything, whitespace included
raw_set = $(subst $(space),",$(subst $(tab),",$(subst $(nl),",$(value $(1)))))
# $(call knob,NAME,KIND): stop unless NAME, when set, is of KIND
knob = $(if $(call raw_set,$(1)),$(if $(call kind_$(2),$(value $(1))),,$(call knob_fail,$(1),$(KIND_TEXT_$(2)))))
# $(call knob_in,NAME,CHOICES)
knob_in = $(if $(call raw_set,$(1)),$(if $(and $(call kind_id,$(value $(1))),$(filter $(2),$(value $(1)))),,$(call knob_fail,$(1),one of: $(2))))
knob_fail = $(error $(1) must be $(2) (got '$(call shown,$(value $(1)))'))

# The profile list, from the one place it is written: MP_PROFILE_LIST in
# filters/lib/profile.h ("debug", "debug-read-only", "locked-read-only").
after_word = $(if $(2),$(if $(filter $(1),$(firstword $(2))),$(call rest,$(2)),$(call after_word,$(1),$(call rest,$(2)))))
take_quoted = $(if $(filter "%,$(firstword $(1))),$(firstword $(1)) $(call take_quoted,$(call rest,$(1))))
PROFILES := $(strip $(subst ",,$(subst $(comma),,$(call take_quoted,$(call after_word,MP_PROFILE_LIST,$(file <filters/lib/profile.h))))))
ifeq ($(PROFILES),)
$(error cannot read the profile list (MP_PROFILE_LIST) from filters/lib/profile.h)
endif

# ---- the knobs of this project's makefiles: NAME:KIND
KNOBS := PROFILE:profile STAGING:staging SOURCE:word KMS_VERSION:version KMS_IMAGE_DIGEST:image \
  KMS_URL:url PCCS_URL:url SERVICE_PORT:port SIM_LISTEN:listen SIM_FLAGS:simflags \
  ALLOWED_TCB_STATUSES:statuses HEALTH_TIMEOUT:seconds HEALTH_INTERVAL:seconds STAGING_CVM_ID:id \
  $(addsuffix :path,ARTIFACTS KEYS_DIR SHARED PREFIX DESTDIR BIN OBJDIR COSIGN_WRAP COLLATERAL ROOT_CA \
    COMPOSE_TEMPLATE POLICY_DIR) \
  V:bool SAN:bool VALGRIND:bool PROBE_FAILED:bool FUZZ_SECONDS:number JOBS:number TESTS:paths BATS_FLAGS:flags \
  POLICY:path QUOTES:path LINT_RELEASE:bool VERSION_SYNC_BASE:rev VERSION_SYNC_HEAD:rev \
  VERSION_SYNC_LABELS:labels VERSION_SYNC_COMMENTS:path
# make promote, make gate, make protect (mk/promote.mk), version-sync --pr
KNOBS += CANDIDATES:path RUN_ID:number RELEASE_TAG:id PUSH:bool DRAFT:bool ALLOW_SIMULATED:bool BASE_BRANCH:branch \
  COSIGN_PUB:path REPO_DIR:path PR:number STATUS:bool SECURITY_TEAM:pair ARCHITECTURE_TEAM:pair \
  REQUIRED_APPROVALS:number BRANCH:branch DRY_RUN:bool REQUIRED_CHECKS:labels GITHUB_REPOSITORY:pair \
  VERSION_SYNC_PR:number
# releases (mk/release.mk): make publish, release-policy, verify-release, verify-node,
# verify-releases, and the probe's POLICY_SOURCE=release
# GCP image families: a prefix, or PROFILE=FAMILY words (mrtd-publish checks each)
kind_families = $(call chars_ok,$(1),$(LOWER) $(DIGITS) - =,1)
KIND_TEXT_families := a family prefix or PROFILE=FAMILY words (a-z, 0-9, -)
KNOBS += RELEASE_REPO:pair IMAGE_FAMILY:families \
  CHECKSUMS:id REPLACE:bool PUBLISH_RELEASE:bool RELEASE_BRANCH:rev QUOTE:path \
  VERIFY_AT:number AUDIT_LAST:number AUDIT_PREFIX:id POLICY_RELEASE:id
$(call knob_in,POLICY_SOURCE,repo release)
# the Phala Cloud probe (mk/probe.mk): phala-cvm's and ita-appraise's settings, the
# hold window and the waits, the workflow's summary file
KNOBS += HOLD:seconds BOOT_TIMEOUT:seconds PHALA_INSTANCE_TYPE:id PHALA_REGION:id PHALA_API_VERSION:id \
  PHALA_API_BASE_URL:url PHALA_CLOUD_API_PREFIX:url ITA_URL:url ITA_JWKS_URL:url \
  GITHUB_STEP_SUMMARY:path
$(foreach k,$(KNOBS),$(call knob,$(firstword $(subst :, ,$(k))),$(lastword $(subst :, ,$(k)))))
$(call knob_in,PROBE_INTERRUPTED,SIGINT SIGTERM SIGHUP)
$(call knob_in,ROLE,node kms)
$(call knob_in,LINT_FORMAT,text json github)
$(call knob_in,SHELLCHECK_SEVERITY,error warning info style)

# Build knobs are shell words on purpose (CC="cc -nostdinc"), but never make
# code: a '$' in them is refused, from the environment as from the command line.
# So is a '$' in any variable given on the command line: make would expand it
# when it exports the variable to a recipe.
no_dollar = $(if $(findstring $$,$(value $(1))),$(error $(1): a '$$' in a value given to make is refused (it would run as make code)))
$(foreach k,CC AR CFLAGS CPPFLAGS LDFLAGS LDLIBS $(filter LDLIBS_%,$(.VARIABLES)),$(call no_dollar,$(k)))
$(foreach k,$(.VARIABLES),$(if $(filter command line,$(origin $(k))),$(call no_dollar,$(k))))

# Secrets come from the environment and are read by the programs from there.
# Recipes never expand them (they test "is it set" with the shell's own
# ${NAME:+...}); the makefiles test it with $(value NAME), which expands nothing.
SECRETS := COSIGN_KEY COSIGN_PASSWORD PHALA_CLOUD_API_KEY GITHUB_TOKEN GH_RELEASE_TOKEN ITA_API_KEY PCS_API_KEY \
  GH_TOKEN
$(foreach s,$(SECRETS),$(if $(filter command line,$(origin $(s))),\
  $(error $(s) is a secret: give it in the environment, not on make's command line)))
