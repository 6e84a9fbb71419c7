/* GitHub Actions workflow commands: the lines a CI step prints so that a
 * finding shows on the pull request's lines,
 *   ::error file=F,line=L,col=C,title=T::message
 * (the lint programs' --format github). */
#ifndef MP_GHCMD_H
#define MP_GHCMD_H

#include "common.h"

/* Append one annotation and a newline to b. level: error, warning or
 * notice; file NULL, line and col 0 for none. The values are escaped as
 * GitHub reads them: % CR LF in the message, and : , in the properties too. */
void ghcmd_annotation(struct buf *b, const char *level, const char *file, long line, long col, const char *title,
		      const char *msg);

#endif
