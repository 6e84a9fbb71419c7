# make lint: the three ADRs and the shell scripts, checked by machine.
LDLIBS_compose-lint = -lyaml
HEADER_PKGS += yaml.h:libyaml-dev
