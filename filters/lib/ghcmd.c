#include "ghcmd.h"

static void escape(struct buf *b, const char *s, int property)
{
	for (; *s; s++) {
		if (*s == '%')
			buf_add(b, "%25", 3);
		else if (*s == '\r')
			buf_add(b, "%0D", 3);
		else if (*s == '\n')
			buf_add(b, "%0A", 3);
		else if (property && *s == ':')
			buf_add(b, "%3A", 3);
		else if (property && *s == ',')
			buf_add(b, "%2C", 3);
		else
			buf_addc(b, *s);
	}
}

void ghcmd_annotation(struct buf *b, const char *level, const char *file, long line, long col, const char *title,
		      const char *msg)
{
	buf_printf(b, "::%s ", level);
	if (file) {
		buf_add(b, "file=", 5);
		escape(b, file, 1);
		if (line > 0)
			buf_printf(b, ",line=%ld", line);
		if (col > 0)
			buf_printf(b, ",col=%ld", col);
		buf_addc(b, ',');
	}
	buf_add(b, "title=", 6);
	escape(b, title ? title : "", 1);
	buf_add(b, "::", 2);
	escape(b, msg, 0);
	buf_addc(b, '\n');
}
