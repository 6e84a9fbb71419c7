# The promotion pull request and the CI gate (issue 12):
#   make promote PROFILE=p [CANDIDATES=FILE|DIR | RUN_ID=n] [RELEASE_TAG=v] [PUSH=1] [DRAFT=1]
#   make gate PR=n [STATUS=1]
#   make protect BRANCH=master [DRY_RUN=1]
LDLIBS_policy-promote = -lzip
HEADER_PKGS += zip.h:libzip-dev
