/* rtmr-replay: replay a TDX event log (dstack JSON or TCG CCEL) into RTMR0-3,
 * check every runtime event digest, optionally compare the registers with a
 * quote, and write what was found as JSON. */
#include <stdlib.h>
#include <string.h>

#include "lib/cli.h"
#include "lib/codec.h"
#include "lib/common.h"
#include "lib/eventlog.h"
#include "lib/json.h"
#include "lib/tdmeas.h"

enum { OPT_QUOTE = 'q', OPT_RTMR = 'r' };

static const struct cli_opt options[] = {
	{"quote", OPT_QUOTE, "FILE", "compare the replayed registers with this quote: quote2json's JSON, or\n"
				     "an attest response carrying quoteB64 (mero-kms) or data.quoteB64 (merod)", 0},
	{"rtmr", OPT_RTMR, "LIST", "registers that must match the quote, e.g. 3 or 0,1,2 (default\n"
				   "0,1,2,3); the others are compared and reported, not enforced", 0},
	{0}};

static const struct cli_spec spec = {
	.synopsis = "rtmr-replay [--quote FILE] [--rtmr LIST] < EVENT_LOG > REPLAY_JSON",
	.about = "Replay a TDX event log into RTMR0-3, checking each runtime event digest (dstack V1 and V2),\n"
		 "and write the registers, every event and the runtime event values as JSON.",
	.opts = options,
	.trailer = "stdin: the event log (at most 16 MiB): a JSON array of {imr, event_type, digest, event,\n"
		   "event_payload}, a JSON string holding one, an object holding it as eventLog or event_log\n"
		   "(an /attest or GetQuote response), or a binary TCG CCEL.  stdout: replay JSON.\n"
		   "A closed stdout pipe ends it by SIGPIPE, as other filters.\n"
		   "exit: 0 ok, 1 a recorded digest or an enforced register disagrees, 2 usage,\n"
		   "65 malformed log or quote, 66 quote file missing or a folder, 74 write error.",
};

#define LOG_CAP (16 * MP_MIB)

static int parse_rtmr_list(const char *s, unsigned *mask)
{
	*mask = 0;
	const char *p = s;
	if (!*p)
		return -1;
	for (;;) {
		if (*p < '0' || *p > '3')
			return -1;
		*mask |= 1u << (*p - '0');
		p++;
		if (!*p)
			return 0;
		if (*p != ',')
			return -1;
		p++;
	}
}

/* Printable ASCII text, or NULL. */
static jv payload_text(const struct el_event *e)
{
	for (size_t i = 0; i < e->payload_len; i++)
		if (e->payload[i] < 0x20 || e->payload[i] > 0x7e)
			return jv_null();
	return jv_string_sized((const char *)e->payload, (int)e->payload_len);
}

static jv name_jv(const struct el_event *e)
{
	return jv_string_sized(e->name, (int)e->name_len);
}

static const char *src_name(enum el_digest_src s)
{
	return s == EL_DIGEST_VERIFIED ? "verified" : s == EL_DIGEST_COMPUTED ? "computed" : "recorded";
}

static jv event_json(const struct eventlog *log, size_t i)
{
	const struct el_event *e = &log->ev[i];
	jv o = jv_object();
	const char *tn = el_type_name(e->type);
	JSET(o, "index", jv_number((double)i));
	JSET(o, "imr", e->imr >= 0 ? jv_number(e->imr) : jv_null());
	JSET(o, "event_type", jv_number(e->type));
	JSET(o, "type_name", tn ? jv_string(tn) : jv_null());
	JSET(o, "event", name_jv(e));
	JSET(o, "payload", jv_hex(e->payload, e->payload_len));
	JSET(o, "extended", jv_bool(e->extended));
	int has = e->extended || e->has_recorded;
	JSET(o, "digest", has ? jv_hex(e->digest, EL_DIGEST_LEN) : jv_null());
	JSET(o, "digest_source", has ? jv_string(src_name(e->src)) : jv_null());
	JSET(o, "recorded_digest", e->has_recorded ? jv_hex(e->recorded, EL_DIGEST_LEN) : jv_null());
	JSET(o, "computed_digest", e->has_computed ? jv_hex(e->computed, EL_DIGEST_LEN) : jv_null());
	JSET(o, "matched", e->has_computed && e->has_recorded ? jv_true() : jv_null());
	if (e->has_computed)
		JSET(o, "format", jv_string(e->version == 2 ? "v2" : "v1"));
	return o;
}

/* The payload of the single IMR 3 runtime event called name: 1 found, 0 absent,
 * -1 ambiguous (several with different payloads). */
static int runtime_value(const struct eventlog *log, const char *name, const struct el_event **out)
{
	*out = NULL;
	size_t nl = strlen(name);
	for (size_t i = 0; i < log->n; i++) {
		const struct el_event *e = &log->ev[i];
		if (e->imr != 3 || !e->has_computed || e->name_len != nl || memcmp(e->name, name, nl) != 0)
			continue;
		if (*out && ((*out)->payload_len != e->payload_len ||
			     memcmp((*out)->payload, e->payload, e->payload_len) != 0))
			return -1;
		*out = e;
	}
	return *out ? 1 : 0;
}

static jv runtime_hex(const struct eventlog *log, const char *name, const struct el_event **ev)
{
	return runtime_value(log, name, ev) == 1 ? jv_hex((*ev)->payload, (*ev)->payload_len) : jv_null();
}

/* The registers, replayed and (with a quote) compared. */
static jv registers(const struct eventlog *log, const struct td_meas *q, unsigned enforce, int *all_match,
		    jv *checked)
{
	jv regs = jv_object();
	*all_match = 1;
	*checked = jv_array();
	for (int i = 0; i < EL_NREG; i++) {
		char key[8];
		snprintf(key, sizeof key, "rtmr%d", i);
		jv o = jv_object();
		JSET(o, "replayed", jv_hex(log->rtmr[i], 48));
		JSET(o, "events", jv_number((double)log->count[i]));
		if (q) {
			int m = memcmp(q->rtmr[i], log->rtmr[i], 48) == 0;
			JSET(o, "quote", jv_hex(q->rtmr[i], 48));
			JSET(o, "match", jv_bool(m));
			JSET(o, "enforced", jv_bool(enforce >> i & 1));
			*all_match &= m;
			if (enforce >> i & 1)
				*checked = jv_array_append(*checked, jv_number(i));
		}
		regs = jv_object_set(regs, jv_string(key), o);
	}
	return regs;
}

/* The IMR 3 runtime values; *compose_ok when the compose hash is proven. */
static jv runtime(const struct eventlog *log, const struct td_meas *q, int *compose_ok)
{
	const struct el_event *ev;
	jv rt = jv_object();
	JSET(rt, "app_id", runtime_hex(log, "app-id", &ev));
	JSET(rt, "instance_id", runtime_hex(log, "instance-id", &ev));
	int ch = runtime_value(log, "compose-hash", &ev);
	JSET(rt, "compose_hash", ch == 1 ? jv_hex(ev->payload, ev->payload_len) : jv_null());
	*compose_ok = q && ch == 1 && ev->payload_len == 32 && memcmp(q->rtmr[3], log->rtmr[3], 48) == 0;
	jv prof = jv_null();
	if (runtime_value(log, "calimero.kms.profile", &ev) == 1) {
		static const char pfx[] = "calimero.kms.profile=";
		jv t = payload_text(ev);
		if (jv_get_kind(t) == JV_KIND_STRING) {
			const char *s = jv_string_value(t);
			prof = jv_string(strncmp(s, pfx, sizeof pfx - 1) == 0 ? s + sizeof pfx - 1 : s);
		}
		jv_free(t);
	}
	JSET(rt, "kms_profile", prof);
	JSET(rt, "boot_mr_done", jv_bool(runtime_value(log, "boot-mr-done", &ev) != 0));
	return rt;
}

/* Every event, and the runtime events again on their own. */
static void event_lists(const struct eventlog *log, jv *events, jv *rt_events)
{
	*events = jv_array();
	*rt_events = jv_array();
	for (size_t i = 0; i < log->n; i++) {
		*events = jv_array_append(*events, event_json(log, i));
		const struct el_event *e = &log->ev[i];
		if (!e->has_computed)
			continue;
		jv o = jv_object();
		JSET(o, "index", jv_number((double)i));
		JSET(o, "imr", jv_number(e->imr));
		JSET(o, "event", name_jv(e));
		JSET(o, "payload", jv_hex(e->payload, e->payload_len));
		JSET(o, "text", payload_text(e));
		JSET(o, "format", jv_string(e->version == 2 ? "v2" : "v1"));
		*rt_events = jv_array_append(*rt_events, o);
	}
}

/* The log on stdin, parsed and replayed: exit 65 or 1 on failure. */
static void read_log(struct eventlog *log)
{
	char err[1024];
	struct buf in;
	el_init(log);
	read_capped(stdin, LOG_CAP, "event log", &in);
	if (el_parse(in.data, in.len, log, err, sizeof err))
		fail(EXIT_DATAERR, "cannot parse event log: %s", err);
	buf_free(&in);
	int r = el_replay(log, err, sizeof err);
	if (r)
		fail(r == EL_MISMATCH ? EXIT_NO : EXIT_DATAERR, "%s", err);
}

/* The quote's registers; exit 1 on the first enforced one that differs. */
static void read_quote(const char *path, const struct eventlog *log, unsigned enforce, struct td_meas *q)
{
	char err[1024];
	jv doc = json_read_file(path, LOG_CAP);
	if (td_meas_from_json(doc, q, err, sizeof err))
		fail(EXIT_DATAERR, "cannot use quote '%s': %s", path, err);
	jv_free(doc);
	for (int i = 0; i < EL_NREG; i++) {
		if (!(enforce >> i & 1) || memcmp(q->rtmr[i], log->rtmr[i], 48) == 0)
			continue;
		char a[97], b[97];
		hex_encode_to(log->rtmr[i], 48, a);
		hex_encode_to(q->rtmr[i], 48, b);
		fail(EXIT_NO, "RTMR%d differs from the quote: replayed %s from %zu events, quote %s", i, a,
		     log->count[i], b);
	}
}

int main(int argc, char **argv)
{
	prog_init(argv[0]);
	const char *quote_path = NULL, *rtmr_arg = NULL;
	unsigned enforce = 0xf;
	struct cli cl;
	cli_parse(&cl, &spec, argc, argv);
	const char *val;
	for (int c; (c = cli_next(&cl, &val));) {
		switch (c) {
		case OPT_QUOTE: quote_path = val; break;
		case OPT_RTMR:
			rtmr_arg = val;
			if (parse_rtmr_list(val, &enforce))
				cli_usage(&cl, "bad register list '%s' (digits 0-3 separated by commas)", val);
			break;
		}
	}
	if (rtmr_arg && !quote_path)
		cli_usage(&cl, "--rtmr needs --quote");
	cli_free(&cl);

	struct eventlog log;
	read_log(&log);
	struct td_meas qm, *q = NULL;
	if (quote_path) {
		read_quote(quote_path, &log, enforce, &qm);
		q = &qm;
	}
	jv events, rt_events, checked;
	int all_match, compose_ok;
	event_lists(&log, &events, &rt_events);
	jv out = jv_object();
	JSET(out, "registers", registers(&log, q, enforce, &all_match, &checked));
	JSET(out, "runtime", runtime(&log, q, &compose_ok));
	JSET(out, "events", events);
	JSET(out, "runtime_events", rt_events);
	JSET(out, "compose_hash_verified", jv_bool(compose_ok));
	jv lj = jv_object();
	JSET(lj, "format", jv_string(el_format_name(log.format)));
	JSET(lj, "events", jv_number((double)log.n));
	JSET(lj, "trailing_bytes", jv_number((double)log.trailing));
	JSET(out, "log", lj);
	jv qo = jv_null();
	if (q) {
		qo = jv_object();
		JSET(qo, "origin", jv_string(q->origin));
		JSET(qo, "sha256", jv_hex(q->sha256, 32));
		JSET(qo, "report_type", jv_string(q->report_type));
		JSET(qo, "enforced", checked);
		JSET(qo, "all_match", jv_bool(all_match));
	} else {
		jv_free(checked);
	}
	JSET(out, "quote", qo);
	el_free(&log);
	json_emit(out);
	close_stdout();
	return 0;
}
