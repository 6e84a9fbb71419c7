/* The checks of compose files and templates, and of workflows. */
#ifndef CL_COMPOSE_H
#define CL_COMPOSE_H

#include "rules.h"
#include "ytree.h"

void cl_check_compose(struct cl_ctx *c, const struct cl_ynode *root);
void cl_check_workflow(struct cl_ctx *c, const struct cl_ynode *root);

#endif
