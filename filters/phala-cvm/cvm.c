/* The CVM a command acts on, our CVM JSON, and the service URL candidates. */
#include <stdlib.h>
#include <string.h>

#include "phala.h"

static int is_hex(const char *s, size_t n)
{
	if (strlen(s) != n)
		return 0;
	for (; *s; s++)
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f') || (*s >= 'A' && *s <= 'F')))
			return 0;
	return 1;
}

int cvm_ident_ok(const char *s, size_t min, size_t max)
{
	size_t n = strlen(s);
	if (n < min || n > max)
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '.' ||
		      *s == '_' || *s == '-'))
			return 0;
	return 1;
}

static const char *bare_app_id(const char *s) { return strncmp(s, "app_", 4) == 0 ? s + 4 : s; }

/* A string (or number) member checked as an identifier (exit code
 * otherwise), or NULL. */
static char *member_id(jv o, const char *key, const char *file, int code)
{
	jv v = json_get(o, key);
	char *r = NULL;
	if (jv_get_kind(v) == JV_KIND_NUMBER) {
		char t[32];
		snprintf(t, sizeof t, "%.0f", jv_number_value(v));
		r = xstrdup(t);
	} else if (jv_get_kind(v) == JV_KIND_STRING && jv_string_length_bytes(jv_copy(v)) > 0) {
		const char *s = jv_string_value(v);
		if (!cvm_ident_ok(s, 1, 128))
			fail(code, "%s: %s is not an identifier ([A-Za-z0-9._-], at most 128)", file, key);
		r = xstrdup(strcmp(key, "app_id") == 0 ? bare_app_id(s) : s);
	}
	jv_free(v);
	return r;
}

void cvm_ref_from(struct cvm_ref *t, const char *file, const char *id, const char *name)
{
	memset(t, 0, sizeof *t);
	if (id || name) {
		if (id)
			api_check_id(id, "--id");
		if (name)
			api_check_id(name, "--name");
		t->id = id ? xstrdup(id) : NULL;
		t->name = name ? xstrdup(name) : NULL;
		snprintf(t->label, sizeof t->label, "CVM '%s'", id ? id : name);
		return;
	}
	char shown[300];
	snprintf(shown, sizeof shown, strcmp(file, "-") == 0 ? "standard input" : "'%s'", file);
	jv o = json_read_file(file, MP_MIB);
	if (jv_get_kind(o) != JV_KIND_OBJECT)
		fail(EXIT_DATAERR, "%s: not a CVM JSON object", shown);
	cvm_ref_fill(t, o, shown, EXIT_DATAERR);
}

void cvm_ref_fill(struct cvm_ref *t, jv o, const char *what, int code)
{
	memset(t, 0, sizeof *t);
	t->app_id = member_id(o, "app_id", what, code);
	t->vm_uuid = member_id(o, "vm_uuid", what, code);
	t->id = member_id(o, "id", what, code);
	t->name = member_id(o, "name", what, code);
	jv r = json_get(o, "reused");
	t->reused = jv_get_kind(r) == JV_KIND_TRUE;
	jv_free(r);
	jv_free(o);
	if (!t->app_id && !t->vm_uuid && !t->id && !t->name)
		fail(code, "%s: the CVM JSON has none of app_id, vm_uuid, id, name", what);
	const char *l = t->name ? t->name : t->app_id ? t->app_id : t->vm_uuid ? t->vm_uuid : t->id;
	snprintf(t->label, sizeof t->label, "CVM '%s'", l);
}

void cvm_ref_free(struct cvm_ref *t)
{
	free(t->id);
	free(t->name);
	free(t->app_id);
	free(t->vm_uuid);
	memset(t, 0, sizeof *t);
}

const char *cvm_ref_path(const struct cvm_ref *t, char out[160])
{
	size_t j = 0;
	if (t->app_id) {
		snprintf(out, 160, "app_%s", t->app_id);
	} else if (t->vm_uuid) {
		for (const char *p = t->vm_uuid; *p && j < 159; p++)
			if (*p != '-')
				out[j++] = *p;
		out[j] = 0;
	} else {
		snprintf(out, 160, "%s", t->id ? t->id : t->name);
	}
	return out;
}

void cvm_status(jv info, char *out, size_t n)
{
	const char *s = json_str(info, "status");
	jv hosted = json_get(info, "hosted");
	if (!s || !*s)
		s = json_str(hosted, "status");
	snprintf(out, n, "%s", s ? s : "");
	jv_free(hosted);
	for (char *p = out; *p; p++) {
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
		else if (*p < ' ' || *p > '~')
			*p = '?';
	}
}

static jv opt_string(jv info, const char *key)
{
	const char *s = json_str(info, key);
	return s && *s ? jv_string(s) : jv_null();
}

static int url_ok(const char *u)
{
	if (strncmp(u, "http://", 7) != 0 && strncmp(u, "https://", 8) != 0)
		return 0;
	for (; *u; u++)
		if (*u <= ' ' || *u > '~')
			return 0;
	return 1;
}

int cvm_host_ok(const char *h)
{
	if (!*h || strlen(h) > 253)
		return 0;
	for (; *h; h++)
		if (!((*h >= 'a' && *h <= 'z') || (*h >= 'A' && *h <= 'Z') || (*h >= '0' && *h <= '9') || *h == '.' ||
		      *h == '-'))
			return 0;
	return 1;
}

/* endpoints[] as {app, instance} with the http(s) URLs among them */
static jv endpoints(jv info)
{
	jv out = jv_array(), eps = json_get(info, "endpoints");
	int n = jv_get_kind(eps) == JV_KIND_ARRAY ? jv_array_length(jv_copy(eps)) : 0;
	for (int i = 0; i < n; i++) {
		jv e = jv_array_get(jv_copy(eps), i), o = jv_object();
		static const char *const keys[] = {"app", "instance"};
		for (int k = 0; k < 2; k++) {
			const char *u = json_str(e, keys[k]);
			if (u && url_ok(u))
				JSET(o, keys[k], jv_string(u));
		}
		if (jv_object_length(jv_copy(o)) > 0)
			out = jv_array_append(out, o);
		else
			jv_free(o);
		jv_free(e);
	}
	jv_free(eps);
	return out;
}

static jv gateway_domain(jv info)
{
	jv g = json_get(info, "gateway");
	const char *d = json_str(g, "base_domain");
	jv r = d && cvm_host_ok(d) ? jv_string(d) : jv_null();
	jv_free(g);
	return r;
}

jv cvm_json(jv info, int reused)
{
	if (jv_get_kind(info) != JV_KIND_OBJECT)
		fail(EXIT_PROTOCOL, "the API's CVM is not a JSON object");
	const char *app = json_str(info, "app_id");
	if (!app || !cvm_ident_ok(app, 1, 128))
		fail(EXIT_PROTOCOL, "the API's CVM has no app_id of [A-Za-z0-9._-]");
	const char *hash = json_str(info, "compose_hash");
	if (hash && *hash && !is_hex(hash, 64))
		fail(EXIT_PROTOCOL, "the API's CVM has a compose_hash that is not 64 hex digits");
	char status[64];
	cvm_status(info, status, sizeof status);
	jv out = jv_object();
	JSET(out, "app_id", jv_string(bare_app_id(app)));
	if (hash && *hash) {
		char low[65];
		for (int i = 0; i < 65; i++)
			low[i] = (char)(hash[i] >= 'A' && hash[i] <= 'F' ? hash[i] - 'A' + 'a' : hash[i]);
		JSET(out, "compose_hash", jv_string(low));
	} else {
		JSET(out, "compose_hash", jv_null());
	}
	JSET(out, "endpoints", endpoints(info));
	JSET(out, "gateway_base_domain", gateway_domain(info));
	jv id = json_get(info, "id");
	if (jv_get_kind(id) == JV_KIND_NUMBER) {
		char t[32];
		snprintf(t, sizeof t, "%.0f", jv_number_value(id));
		JSET(out, "id", jv_string(t));
	} else {
		JSET(out, "id", opt_string(info, "id"));
	}
	jv_free(id);
	JSET(out, "name", opt_string(info, "name"));
	JSET(out, "reused", jv_bool(reused));
	JSET(out, "status", jv_string(status));
	JSET(out, "vm_uuid", opt_string(info, "vm_uuid"));
	jv_free(info);
	return out;
}

static jv add_url(jv list, const char *u)
{
	char t[1100];
	snprintf(t, sizeof t, "%s", u);
	for (size_t n = strlen(t); n && t[n - 1] == '/'; n--)
		t[n - 1] = 0;
	if (!t[0] || !url_ok(t))
		return list;
	int n = jv_array_length(jv_copy(list));
	for (int i = 0; i < n; i++) {
		jv e = jv_array_get(jv_copy(list), i);
		int same = strcmp(jv_string_value(e), t) == 0;
		jv_free(e);
		if (same)
			return list;
	}
	return jv_array_append(list, jv_string(t));
}

jv cvm_urls(jv cvm, int port, const char *suffix)
{
	jv list = jv_array(), eps = json_get(cvm, "endpoints");
	char u[1100];
	for (int i = 0; i < jv_array_length(jv_copy(eps)); i++) {
		jv e = jv_array_get(jv_copy(eps), i);
		const char *a = json_str(e, "app"), *in = json_str(e, "instance");
		if (a)
			list = add_url(list, a);
		if (in)
			list = add_url(list, in);
		jv_free(e);
	}
	jv_free(eps);
	const char *app = json_str(cvm, "app_id"), *bd = json_str(cvm, "gateway_base_domain");
	static const char *const schemes[] = {"https", "http"};
	for (int s = 0; bd && s < 2; s++) {
		snprintf(u, sizeof u, "%s://%s-%d.%s", schemes[s], app, port, bd);
		list = add_url(list, u);
	}
	for (int s = 0; s < 2; s++) {
		snprintf(u, sizeof u, "%s://app_%s-%d.%s", schemes[s], app, port, suffix);
		list = add_url(list, u);
		snprintf(u, sizeof u, "%s://%s-%d.%s", schemes[s], app, port, suffix);
		list = add_url(list, u);
	}
	return list;
}
