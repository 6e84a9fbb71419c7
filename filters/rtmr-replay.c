/* rtmr-replay: replay a TDX event log (dstack JSON or TCG CCEL) into RTMR0-3,
 * check every runtime event digest, optionally compare the registers with a
 * quote, and write what was found as JSON. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "lib/codec.h"
#include "lib/common.h"
#include "lib/eventlog.h"
#include "lib/json.h"
#include "lib/tdmeas.h"

static const char synopsis[] = "rtmr-replay [--quote FILE] [--rtmr LIST] < EVENT_LOG > REPLAY_JSON";

#define LOG_CAP (16 * MP_MIB)

static void help(void)
{
	printf("usage: %s\n"
	       "Replay a TDX event log into RTMR0-3, checking each runtime event digest (dstack V1 and V2),\n"
	       "and write the registers, every event and the runtime event values as JSON.\n"
	       "\n"
	       "  --quote FILE  compare the replayed registers with this quote: quote2json's JSON, or an\n"
	       "                attest response carrying quoteB64 (mero-kms) or data.quoteB64 (merod)\n"
	       "  --rtmr LIST   registers that must match the quote, e.g. 3 or 0,1,2 (default 0,1,2,3);\n"
	       "                the others are compared and reported, not enforced\n"
	       "  --help        this text\n"
	       "  --version     print the version\n"
	       "\n"
	       "stdin: the event log (at most 16 MiB): a JSON array of {imr, event_type, digest, event,\n"
	       "event_payload}, a JSON string holding one, an object holding it as eventLog or event_log\n"
	       "(an /attest or GetQuote response), or a binary TCG CCEL.  stdout: replay JSON.\n"
	       "exit: 0 ok, 1 a recorded digest or an enforced register disagrees, 2 usage,\n"
	       "65 malformed log or quote, 66 quote file missing, 74 write error.\n",
	       synopsis);
}

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

int main(int argc, char **argv)
{
	prog_init(argv[0]);
	const char *quote_path = NULL, *rtmr_arg = NULL;
	unsigned enforce = 0xf;
	static const struct option opts[] = {
		{"quote", required_argument, NULL, 'q'}, {"rtmr", required_argument, NULL, 'r'},
		{"help", no_argument, NULL, 'h'}, {"version", no_argument, NULL, 'V'}, {0, 0, 0, 0}};
	int c;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'q': quote_path = optarg; break;
		case 'r':
			rtmr_arg = optarg;
			if (parse_rtmr_list(optarg, &enforce))
				usage_fail(synopsis, "bad register list '%s' (digits 0-3 separated by commas)", optarg);
			break;
		case 'h': help(); close_stdout(); return 0;
		case 'V': printf("rtmr-replay %s\n", MP_VERSION); close_stdout(); return 0;
		default: usage_fail(synopsis, "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		usage_fail(synopsis, "unexpected argument '%s'", argv[optind]);
	if (rtmr_arg && !quote_path)
		usage_fail(synopsis, "--rtmr needs --quote");

	char err[1024];
	struct buf in;
	struct eventlog log;
	el_init(&log);
	read_capped(stdin, LOG_CAP, "event log", &in);
	if (el_parse(in.data, in.len, &log, err, sizeof err))
		fail(EXIT_DATAERR, "cannot parse event log: %s", err);
	buf_free(&in);
	int r = el_replay(&log, err, sizeof err);
	if (r)
		fail(r == EL_MISMATCH ? EXIT_NO : EXIT_DATAERR, "%s", err);

	struct td_meas q;
	int have_quote = 0;
	if (quote_path) {
		jv doc = json_read_file(quote_path, LOG_CAP);
		if (td_meas_from_json(doc, &q, err, sizeof err))
			fail(EXIT_DATAERR, "cannot use quote '%s': %s", quote_path, err);
		jv_free(doc);
		have_quote = 1;
		for (int i = 0; i < EL_NREG; i++) {
			if (!(enforce >> i & 1) || memcmp(q.rtmr[i], log.rtmr[i], 48) == 0)
				continue;
			char a[97], b[97];
			hex_encode_to(log.rtmr[i], 48, a);
			hex_encode_to(q.rtmr[i], 48, b);
			fail(EXIT_NO, "RTMR%d differs from the quote: replayed %s from %zu events, quote %s",
			     i, a, log.count[i], b);
		}
	}

	jv events = jv_array(), rt_events = jv_array(), regs = jv_object();
	for (size_t i = 0; i < log.n; i++) {
		events = jv_array_append(events, event_json(&log, i));
		const struct el_event *e = &log.ev[i];
		if (!e->has_computed)
			continue;
		jv o = jv_object();
		JSET(o, "index", jv_number((double)i));
		JSET(o, "imr", jv_number(e->imr));
		JSET(o, "event", name_jv(e));
		JSET(o, "payload", jv_hex(e->payload, e->payload_len));
		JSET(o, "text", payload_text(e));
		JSET(o, "format", jv_string(e->version == 2 ? "v2" : "v1"));
		rt_events = jv_array_append(rt_events, o);
	}
	int all_match = 1;
	jv checked = jv_array();
	for (int i = 0; i < EL_NREG; i++) {
		char key[8];
		snprintf(key, sizeof key, "rtmr%d", i);
		jv o = jv_object();
		JSET(o, "replayed", jv_hex(log.rtmr[i], 48));
		JSET(o, "events", jv_number((double)log.count[i]));
		if (have_quote) {
			int m = memcmp(q.rtmr[i], log.rtmr[i], 48) == 0;
			JSET(o, "quote", jv_hex(q.rtmr[i], 48));
			JSET(o, "match", jv_bool(m));
			JSET(o, "enforced", jv_bool(enforce >> i & 1));
			all_match &= m;
			if (enforce >> i & 1)
				checked = jv_array_append(checked, jv_number(i));
		}
		regs = jv_object_set(regs, jv_string(key), o);
	}

	const struct el_event *ev;
	jv rt = jv_object();
	JSET(rt, "app_id", runtime_hex(&log, "app-id", &ev));
	JSET(rt, "instance_id", runtime_hex(&log, "instance-id", &ev));
	int ch = runtime_value(&log, "compose-hash", &ev);
	JSET(rt, "compose_hash", ch == 1 ? jv_hex(ev->payload, ev->payload_len) : jv_null());
	int compose_ok = have_quote && ch == 1 && ev->payload_len == 32 && memcmp(q.rtmr[3], log.rtmr[3], 48) == 0;
	jv prof = jv_null();
	if (runtime_value(&log, "calimero.kms.profile", &ev) == 1) {
		static const char pfx[] = "calimero.kms.profile=";
		jv t = payload_text(ev);
		if (jv_get_kind(t) == JV_KIND_STRING) {
			const char *s = jv_string_value(t);
			prof = jv_string(strncmp(s, pfx, sizeof pfx - 1) == 0 ? s + sizeof pfx - 1 : s);
		}
		jv_free(t);
	}
	JSET(rt, "kms_profile", prof);
	JSET(rt, "boot_mr_done", jv_bool(runtime_value(&log, "boot-mr-done", &ev) != 0));

	jv lj = jv_object();
	JSET(lj, "format", jv_string(el_format_name(log.format)));
	JSET(lj, "events", jv_number((double)log.n));
	JSET(lj, "trailing_bytes", jv_number((double)log.trailing));

	jv out = jv_object();
	JSET(out, "log", lj);
	JSET(out, "events", events);
	JSET(out, "registers", regs);
	JSET(out, "runtime_events", rt_events);
	JSET(out, "runtime", rt);
	JSET(out, "compose_hash_verified", jv_bool(compose_ok));
	if (have_quote) {
		jv qo = jv_object();
		JSET(qo, "origin", jv_string(q.origin));
		JSET(qo, "sha256", jv_hex(q.sha256, 32));
		JSET(qo, "report_type", jv_string(q.report_type));
		JSET(qo, "enforced", checked);
		JSET(qo, "all_match", jv_bool(all_match));
		JSET(out, "quote", qo);
	} else {
		jv_free(checked);
		JSET(out, "quote", jv_null());
	}
	el_free(&log);
	json_emit(out);
	close_stdout();
	return 0;
}
