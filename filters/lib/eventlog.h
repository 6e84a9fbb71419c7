/* TDX event logs and RTMR replay: dstack's JSON event log (what the guest
 * agent's GetQuote and mero-kms's /attest return) and the binary TCG CCEL
 * (crypto-agile TCG2 log as the firmware writes it). See
 * ../shared/reference/apis.md 3.4 and tdx-quote.md 8.
 *
 * RTMR[i] starts at 48 zero bytes; each event of IMR i extends it:
 * RTMR[i] = SHA384(RTMR[i] || digest48). dstack runtime events (type
 * 0x08000001) carry their payload and may arrive with an empty digest; their
 * digest is computed:
 *   V1: SHA384(le32(0x08000001) || ":" || name || ":" || payload)
 *   V2: SHA384(JCS {"name":name,"payload":hex(payload),"type":134217729})
 * A recorded digest that disagrees with the computed one is an error.
 *
 * Nothing here exits: every function returns an error code with a message. */
#ifndef MP_EVENTLOG_H
#define MP_EVENTLOG_H

#include <stddef.h>
#include <stdint.h>

#define EL_RUNTIME_EVENT_TYPE 0x08000001u
#define EL_EV_NO_ACTION 3u
#define EL_MAX_EVENTS 65536
#define EL_DIGEST_LEN 48
#define EL_NREG 4

enum el_format { EL_FMT_JSON = 1, EL_FMT_CCEL = 2 };

/* How an event's extended digest was established. */
enum el_digest_src {
	EL_DIGEST_RECORDED = 1, /* taken from the log (boot events: payload not hashable) */
	EL_DIGEST_COMPUTED,     /* runtime event with an empty recorded digest */
	EL_DIGEST_VERIFIED      /* runtime event: recorded == computed */
};

struct el_event {
	int imr;                 /* RTMR index 0..3 */
	uint32_t type;
	char *name;              /* NUL-terminated, may be empty; name_len excludes NUL */
	size_t name_len;
	uint8_t *payload;
	size_t payload_len;
	int has_recorded;        /* a non-empty digest was in the log */
	uint8_t recorded[EL_DIGEST_LEN];
	int version;             /* runtime events: 1 or 2 (0 = infer) */
	int has_preimage;        /* a V2 "preimage" hex was given */
	uint8_t *preimage;
	size_t preimage_len;
	/* set by el_replay */
	int extended;            /* 0 for EV_NO_ACTION */
	int has_computed;
	uint8_t computed[EL_DIGEST_LEN];
	uint8_t digest[EL_DIGEST_LEN]; /* the value extended */
	enum el_digest_src src;
};

struct eventlog {
	enum el_format format;
	struct el_event *ev;
	size_t n, cap;
	size_t trailing;         /* CCEL: bytes after the terminator */
	/* set by el_replay */
	uint8_t rtmr[EL_NREG][EL_DIGEST_LEN];
	size_t count[EL_NREG];
};

/* Error classes returned by the functions below. */
enum { EL_OK = 0, EL_MALFORMED = -1, EL_MISMATCH = -2 };

void el_init(struct eventlog *log);
void el_free(struct eventlog *log);

/* Parse any accepted form: a JSON array of events, a JSON string holding
 * one, an object holding it as eventLog / event_log (also under data or
 * tcb_info), or a binary TCG CCEL. Returns EL_OK or EL_MALFORMED. */
int el_parse(const uint8_t *buf, size_t n, struct eventlog *log, char *err, size_t errlen);

/* Compute runtime digests, check recorded ones and replay RTMR0-3.
 * EL_OK, EL_MALFORMED (a boot event without a digest, a bad preimage) or
 * EL_MISMATCH (a recorded digest that disagrees), with err naming the event. */
int el_replay(struct eventlog *log, char *err, size_t errlen);

/* A short name of a TCG / dstack event type ("EV_SEPARATOR"), or NULL. */
const char *el_type_name(uint32_t type);
const char *el_format_name(enum el_format f);

#endif
