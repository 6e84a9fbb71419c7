/* cosign-wrap: sign and verify blobs in cosign's formats with a key, offline:
 * base64 DER ECDSA P-256 signatures, Sigstore v0.3 bundles, cosign's
 * encrypted key files. Output verifies with cosign verify-blob --key. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <sodium.h>

#include "cosignkey.h"
#include "lib/cli.h"
#include "lib/codec.h"
#include "lib/common.h"
#include "lib/ecdsa.h"
#include "lib/json.h"

#define MEDIA_V03 "application/vnd.dev.sigstore.bundle.v0.3+json"
#define MEDIA_V03_OLD "application/vnd.dev.sigstore.bundle+json;version=0.3"

#define ENV_TEXT                                                                                                    \
	"environment: COSIGN_KEY, the private key: a path or the PEM text (cosign's encrypted format with\n"       \
	"either label, PKCS#8, encrypted PKCS#8 or SEC1 EC PEM); COSIGN_PASSWORD, its password (may be\n"         \
	"empty; must be set for generate-key-pair).\n"
#define EXIT_TEXT                                                                                                   \
	"exit: 0 ok, 1 invalid signature, 2 usage, 65 malformed signature/key/bundle, 66 missing file\n"          \
	"(or a folder), 74 write error or existing key file, 77 wrong password, 78 key not P-256 or\n"            \
	"COSIGN_KEY missing. A closed output pipe ends it by SIGPIPE, as other filters."

/* ---- shared steps ---- */

/* SHA-256 of everything in f, streamed: no size cap is needed. */
static void digest_file(FILE *f, const char *what, uint8_t md[32])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	if (!ctx || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1)
		fail(EXIT_SOFTWARE, "cannot start SHA-256");
	static uint8_t chunk[1 << 16];
	size_t n;
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
		EVP_DigestUpdate(ctx, chunk, n);
	if (ferror(f))
		fail(EXIT_IOERR, "cannot read %s: %s", what, strerror(errno));
	EVP_DigestFinal_ex(ctx, md, NULL);
	EVP_MD_CTX_free(ctx);
}

static void digest_stdin(uint8_t md[32]) { digest_file(stdin, "standard input", md); }

static EVP_PKEY *private_key(void)
{
	char err[640];
	EVP_PKEY *k;
	int rc = cosign_key_from_env(&k, err, sizeof err);
	if (rc)
		fail(rc, "%s", err);
	return k;
}

/* Sign a digest; the base64 DER signature, checked against the key first. */
static char *sign_digest(EVP_PKEY *key, const uint8_t md[32])
{
	uint8_t *sig;
	size_t siglen;
	if (cosign_sign_digest(key, md, &sig, &siglen))
		fail(EXIT_SOFTWARE, "ECDSA signing failed");
	/* check before emitting: a faulty signature must never leave */
	if (!cosign_verify_digest(key, md, sig, siglen))
		fail(EXIT_SOFTWARE, "the new signature does not verify with its own key");
	char *b64 = b64_encode(sig, siglen);
	OPENSSL_free(sig);
	return b64;
}

/* The Sigstore bundle v0.3 of a signature, without any tlog entry. */
static jv bundle_json(EVP_PKEY *key, const uint8_t md[32], const char *b64)
{
	char *hint = cosign_key_hint(key), *dig = b64_encode(md, 32);
	if (!hint)
		fail(EXIT_SOFTWARE, "cannot encode the public key");
	jv pk = jv_object(), vm = jv_object(), d = jv_object(), ms = jv_object(), b = jv_object();
	JSET(pk, "hint", jv_string(hint));
	JSET(vm, "publicKey", pk);
	JSET(d, "algorithm", jv_string("SHA2_256"));
	JSET(d, "digest", jv_string(dig));
	JSET(ms, "messageDigest", d);
	JSET(ms, "signature", jv_string(b64));
	JSET(b, "mediaType", jv_string(MEDIA_V03));
	JSET(b, "verificationMaterial", vm);
	JSET(b, "messageSignature", ms);
	free(hint);
	free(dig);
	return b;
}

/* Open path for writing through the safe writer and write data; the caller
 * commits once everything else succeeded. */
static void stage_file(struct wfile *w, const char *path, const void *data, size_t len)
{
	wfile_open(w, path, 0644);
	wfile_write(w, data, len);
}

static void stage_bundle(struct wfile *w, const char *path, EVP_PKEY *key, const uint8_t md[32], const char *b64)
{
	struct buf text;
	buf_init(&text);
	json_dump_buf(bundle_json(key, md, b64), 1, &text);
	stage_file(w, path, text.data, text.len);
	buf_free(&text);
}

/* ---- sign ---- */

enum { OPT_BUNDLE = 'b', OPT_OUTSIG = 'o', OPT_BUNDLES = 'B' };

static const struct cli_opt sign_opts[] = {
	{"bundle", OPT_BUNDLE, "FILE", "also write a Sigstore bundle v0.3 (message signature, key hint)", 0},
	{"output-signature", OPT_OUTSIG, "FILE", "write the signature to FILE instead of stdout", 0},
	{"bundles", OPT_BUNDLES, NULL, "with files: also write FILE.sigstore.json for each", 0},
	{0}};

static const struct cli_spec sign_spec = {
	.synopsis = "cosign-wrap sign [--bundle FILE] [--output-signature FILE] < BLOB > SIG\n"
		    "       cosign-wrap sign [--bundles] FILE...",
	.about = "Sign the blob on stdin (the base64 DER signature, no newline), or each FILE into FILE.sig,\n"
		 "decrypting the key once.",
	.opts = sign_opts,
	.trailer = ENV_TEXT "stdin: the blob (streamed, any size).  stdout: the signature.\n"
			    "Files are written through a temporary and renamed (devices in place).\n" EXIT_TEXT,
	.max_operands = -1,
};

/* sign FILE...: FILE.sig (and FILE.sigstore.json) for each, one key load */
static int sign_files(EVP_PKEY *key, char **files, int n, int bundles)
{
	for (int i = 0; i < n; i++) {
		FILE *f = fopen(files[i], "rb");
		if (!f)
			fail(EXIT_NOINPUT, "cannot open '%s': %s", files[i], strerror(errno));
		struct stat st;
		if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode))
			fail(EXIT_NOINPUT, "cannot read '%s': not a regular file (a directory)", files[i]);
		uint8_t md[32];
		digest_file(f, files[i], md);
		fclose(f);
		char *b64 = sign_digest(key, md);
		size_t plen = strlen(files[i]) + 32;
		char *path = xmalloc(plen);
		snprintf(path, plen, "%s.sig", files[i]);
		write_file(path, b64, strlen(b64), 0644);
		if (bundles) {
			snprintf(path, plen, "%s.sigstore.json", files[i]);
			json_write_file(path, bundle_json(key, md, b64));
		}
		free(path);
		free(b64);
	}
	EVP_PKEY_free(key);
	close_stdout();
	return 0;
}

/* sign < BLOB: the files are staged, the signature goes out, then the files
 * are committed; a failure leaves no file behind. */
static int sign_stdin(EVP_PKEY *key, const char *bundle, const char *outsig)
{
	uint8_t md[32];
	digest_stdin(md);
	char *b64 = sign_digest(key, md);
	struct wfile wb, ws;
	if (bundle)
		stage_bundle(&wb, bundle, key, md, b64);
	if (outsig)
		stage_file(&ws, outsig, b64, strlen(b64));
	else
		out_write(b64, strlen(b64));
	if (fflush(stdout) != 0)
		fail(EXIT_IOERR, "cannot write to standard output: %s", strerror(errno));
	if (bundle)
		wfile_commit(&wb);
	if (outsig)
		wfile_commit(&ws);
	free(b64);
	EVP_PKEY_free(key);
	close_stdout();
	return 0;
}

static int cmd_sign(int argc, char **argv)
{
	const char *bundle = NULL, *outsig = NULL;
	int bundles = 0;
	struct cli cl;
	cli_parse(&cl, &sign_spec, argc, argv);
	const char *val;
	for (int c; (c = cli_next(&cl, &val));) {
		switch (c) {
		case OPT_BUNDLE: bundle = val; break;
		case OPT_OUTSIG: outsig = val; break;
		case OPT_BUNDLES: bundles = 1; break;
		}
	}
	char **files = cl.operands;
	int nfiles = cl.noperands;
	if (nfiles && (bundle || outsig))
		cli_usage(&cl, "--bundle and --output-signature sign stdin; with files use --bundles");
	if (!nfiles && bundles)
		cli_usage(&cl, "--bundles needs files to sign");
	cli_free(&cl);
	EVP_PKEY *key = private_key();
	return nfiles ? sign_files(key, files, nfiles, bundles) : sign_stdin(key, bundle, outsig);
}

/* ---- verify ---- */

enum { OPT_KEY = 'k', OPT_SIGNATURE = 's' };

static const struct cli_opt verify_opts[] = {
	{"key", OPT_KEY, "PUB", "the PUBLIC KEY PEM (cosign.pub): the only trust anchor", 0},
	{"signature", OPT_SIGNATURE, "SIG", "a signature file: base64 or raw, DER or r||s", 0},
	{"bundle", OPT_BUNDLE, "FILE", "a Sigstore bundle v0.3 (digest and signature are checked) or\n"
				       "cosign's legacy {base64Signature} bundle", 0},
	{0}};

static const struct cli_spec verify_spec = {
	.synopsis = "cosign-wrap verify --key PUB (--signature SIG | --bundle FILE) < BLOB",
	.about = "Verify the blob on stdin against a signature or a bundle; prints \"Verified OK\".",
	.opts = verify_opts,
	.trailer = "stdin: the blob (streamed, any size).  stdout: \"Verified OK\".\n" EXIT_TEXT,
};

static EVP_PKEY *public_key(const char *path)
{
	struct buf t;
	char err[512];
	EVP_PKEY *k;
	read_file_capped(path, COSIGN_KEY_MAX, &t, 0);
	int rc = cosign_pub_parse((const char *)t.data, t.len, &k, err, sizeof err);
	buf_free(&t);
	if (rc)
		fail(rc, "public key '%s': %s", path, err);
	return k;
}

/* A signature as cosign's verify-blob reads it: base64 text if it decodes
 * as standard base64, else the raw bytes; DER or r||s. */
static void signature_bytes(const uint8_t *p, size_t n, const char *what, struct buf *der)
{
	struct buf dec;
	buf_init(&dec);
	int r = cosign_b64_decode((const char *)p, n, &dec);
	if (r == COSIGN_B64_NUL)
		fail(EXIT_DATAERR, "malformed signature in %s: a NUL byte inside its base64 text", what);
	if (r == 0) {
		p = dec.data;
		n = dec.len;
	}
	if (n == 0 || cosign_sig_to_der(p, n, der))
		fail(EXIT_DATAERR, "malformed signature in %s: not an ECDSA signature (DER or 64-byte r||s)", what);
	buf_free(&dec);
}

/* The signature of a v0.3 bundle into der, its message digest into md
 * (*has_md = 1 when it has one). */
static void bundle_v03(jv b, const char *path, struct buf *der, uint8_t md[32], int *has_md)
{
	jv ms = json_get(b, "messageSignature");
	if (jv_get_kind(ms) != JV_KIND_OBJECT) {
		jv dsse = json_get(b, "dsseEnvelope");
		int is_dsse = jv_is_valid(dsse);
		jv_free(dsse);
		fail(EXIT_DATAERR, "bundle '%s': %s", path,
		     is_dsse ? "DSSE envelopes are not supported (blob signatures only)" : "no messageSignature");
	}
	struct buf tmp;
	buf_init(&tmp);
	jv d = json_get(ms, "messageDigest");
	if (jv_is_valid(d)) {
		const char *alg = json_str(d, "algorithm");
		if (!alg || strcmp(alg, "SHA2_256") != 0)
			fail(EXIT_DATAERR, "bundle '%s': messageDigest algorithm is not SHA2_256", path);
		if (cosign_b64_member(d, "digest", &tmp) || tmp.len != 32)
			fail(EXIT_DATAERR, "bundle '%s': messageDigest digest is not 32 bytes of base64", path);
		memcpy(md, tmp.data, 32);
		*has_md = 1;
	}
	jv_free(d);
	if (cosign_b64_member(ms, "signature", &tmp) || tmp.len == 0 || cosign_sig_to_der(tmp.data, tmp.len, der))
		fail(EXIT_DATAERR, "bundle '%s': messageSignature signature is not a base64 ECDSA signature", path);
	buf_free(&tmp);
	jv_free(ms);
}

/* Read a bundle: the signature into der and, when the bundle has one, the
 * message digest into md (*has_md = 1). */
static void read_bundle(const char *path, struct buf *der, uint8_t md[32], int *has_md)
{
	jv b = json_read_file(path, 4 * MP_MIB);
	*has_md = 0;
	if (jv_get_kind(b) != JV_KIND_OBJECT)
		fail(EXIT_DATAERR, "bundle '%s': not a JSON object", path);
	const char *media = json_str(b, "mediaType");
	jv legacy = json_get(b, "base64Signature");
	if (!media && jv_get_kind(legacy) == JV_KIND_STRING) {
		/* cosign's legacy bundle: {base64Signature, cert, rekorBundle} */
		signature_bytes((const uint8_t *)jv_string_value(legacy), (size_t)jv_string_length_bytes(jv_copy(legacy)),
				"the bundle's base64Signature", der);
	} else if (!media) {
		fail(EXIT_DATAERR, "bundle '%s': no mediaType (not a Sigstore bundle)", path);
	} else if (strcmp(media, MEDIA_V03) != 0 && strcmp(media, MEDIA_V03_OLD) != 0) {
		fail(EXIT_DATAERR, "bundle '%s': unsupported mediaType '%.80s' (expected %s)", path, media, MEDIA_V03);
	} else {
		bundle_v03(b, path, der, md, has_md);
	}
	jv_free(legacy);
	jv_free(b);
}

static int cmd_verify(int argc, char **argv)
{
	const char *keypath = NULL, *sigpath = NULL, *bundle = NULL;
	struct cli cl;
	cli_parse(&cl, &verify_spec, argc, argv);
	const char *val;
	for (int c; (c = cli_next(&cl, &val));) {
		switch (c) {
		case OPT_KEY: keypath = val; break;
		case OPT_SIGNATURE: sigpath = val; break;
		case OPT_BUNDLE: bundle = val; break;
		}
	}
	if (!keypath)
		cli_usage(&cl, "verify needs --key PUB");
	if (!sigpath == !bundle)
		cli_usage(&cl, "verify needs one of --signature or --bundle");
	cli_free(&cl);

	EVP_PKEY *key = public_key(keypath);
	struct buf der;
	buf_init(&der);
	uint8_t want[32], md[32];
	int has_md = 0;
	if (sigpath) {
		struct buf t;
		read_file_capped(sigpath, 64 * 1024, &t, 0);
		char what[300];
		snprintf(what, sizeof what, "'%s'", sigpath);
		signature_bytes(t.data, t.len, what, &der);
		buf_free(&t);
	} else {
		read_bundle(bundle, &der, want, &has_md);
	}
	digest_stdin(md);
	if (has_md && CRYPTO_memcmp(want, md, 32) != 0)
		fail(EXIT_NO, "bundle '%s': messageDigest does not match the SHA-256 of the blob", bundle);
	if (!cosign_verify_digest(key, md, der.data, der.len))
		fail(EXIT_NO, "invalid signature: it does not verify for this blob with key '%s'", keypath);
	buf_free(&der);
	EVP_PKEY_free(key);
	out_write("Verified OK\n", 12);
	close_stdout();
	return 0;
}

/* ---- generate-key-pair ---- */

enum { OPT_PREFIX = 'p' };

static const struct cli_opt generate_opts[] = {
	{"output-key-prefix", OPT_PREFIX, "PREFIX", "write PREFIX.key and PREFIX.pub (default: cosign)", 0},
	{0}};

static const struct cli_spec generate_spec = {
	.synopsis = "cosign-wrap generate-key-pair [--output-key-prefix PREFIX]",
	.about = "Write PREFIX.key (cosign's encrypted format, scrypt N=65536, mode 0600) and PREFIX.pub;\n"
		 "never overwrites a file.",
	.opts = generate_opts,
	.trailer = ENV_TEXT EXIT_TEXT,
};

/* Write data to a temporary of the safe writer for path, with exactly this
 * mode (a umask does not narrow it); wfile_commit_new makes it path. */
static void stage_new(struct wfile *w, const char *path, const void *data, size_t len, int mode)
{
	wfile_open(w, path, mode);
	if (w->in_place) /* a device or FIFO appeared at the name: write nothing into it */
		fail(EXIT_IOERR, "'%s' exists: refusing to overwrite it", path);
	wfile_write(w, data, len);
	if (fchmod(w->fd, (mode_t)mode) != 0)
		fail(EXIT_IOERR, "cannot write '%s': %s", path, strerror(errno));
}

/* Commit a staged file as a new one, never replacing a file that exists
 * (also one that appeared meanwhile); on failure remove first (NULL: none),
 * the file committed before, and exit 74. */
static void commit_new(struct wfile *w, const char *first)
{
	int e = wfile_commit_new(w);
	if (!e)
		return;
	if (first)
		unlink(first);
	fail(EXIT_IOERR, e == EEXIST ? "'%s' exists: refusing to overwrite it" : "cannot write '%s': %s", w->path,
	     strerror(e));
}

static int cmd_generate(int argc, char **argv)
{
	const char *prefix = "cosign";
	struct cli cl;
	cli_parse(&cl, &generate_spec, argc, argv);
	const char *val;
	while (cli_next(&cl, &val))
		prefix = val;
	if (!*prefix)
		cli_usage(&cl, "--output-key-prefix must not be empty");
	char keyfile[PATH_MAX], pubfile[PATH_MAX], err[PATH_MAX + 100];
	if (strlen(prefix) + 5 > sizeof keyfile)
		cli_usage(&cl, "--output-key-prefix is longer than PATH_MAX");
	cli_free(&cl);
	const char *pw = getenv("COSIGN_PASSWORD");
	if (!pw)
		fail(EXIT_CONFIG, "COSIGN_PASSWORD is not set: set it to the new key's password (empty for none)");
	snprintf(keyfile, sizeof keyfile, "%s.key", prefix);
	snprintf(pubfile, sizeof pubfile, "%s.pub", prefix);
	struct stat st;
	if (lstat(keyfile, &st) == 0 || lstat(pubfile, &st) == 0)
		fail(EXIT_IOERR, "'%s' exists: refusing to overwrite it", lstat(keyfile, &st) == 0 ? keyfile : pubfile);

	EVP_PKEY *key = ec_generate_p256();
	if (!key)
		fail(EXIT_SOFTWARE, "cannot generate a P-256 key");
	struct buf kpem, ppem;
	buf_init(&kpem);
	buf_init(&ppem);
	int rc = cosign_key_encrypt(key, pw, strlen(pw), COSIGN_SCRYPT_N_DEFAULT, &kpem, err, sizeof err);
	if (rc)
		fail(rc, "%s", err);
	if (cosign_pub_pem(key, &ppem))
		fail(EXIT_SOFTWARE, "cannot encode the public key");
	EVP_PKEY_free(key);
	/* both written before either is committed: a full disk leaves neither */
	struct wfile wk, wp;
	stage_new(&wk, keyfile, kpem.data, kpem.len, 0600);
	stage_new(&wp, pubfile, ppem.data, ppem.len, 0644);
	commit_new(&wk, NULL);
	commit_new(&wp, keyfile);
	sodium_memzero(kpem.data, kpem.len);
	buf_free(&kpem);
	buf_free(&ppem);
	close_stdout();
	return 0;
}

/* ---- public-key ---- */

static const struct cli_spec public_key_spec = {
	.synopsis = "cosign-wrap public-key > PUB",
	.about = "Print the PUBLIC KEY PEM (SPKI) of COSIGN_KEY.",
	.trailer = ENV_TEXT EXIT_TEXT,
};

static int cmd_public_key(int argc, char **argv)
{
	struct cli cl;
	cli_parse(&cl, &public_key_spec, argc, argv);
	cli_free(&cl);
	EVP_PKEY *key = private_key();
	struct buf pem;
	buf_init(&pem);
	if (cosign_pub_pem(key, &pem))
		fail(EXIT_SOFTWARE, "cannot encode the public key");
	EVP_PKEY_free(key);
	out_write(pem.data, pem.len);
	buf_free(&pem);
	close_stdout();
	return 0;
}

/* ---- session-key ---- */

static const struct cli_spec session_spec = {
	.synopsis = "cosign-wrap session-key > SESSION",
	.about = "Decrypt COSIGN_KEY once, check that it signs, and print a copy of it for one run: a fresh\n"
		 "random password on the first line, then the key encrypted under it (ENCRYPTED PRIVATE KEY,\n"
		 "PKCS#8 with PBKDF2 and AES-256-CBC). With COSIGN_PASSWORD set to the first line and\n"
		 "COSIGN_KEY to the rest, the run's later sign and public-key commands need no scrypt.",
	.trailer = ENV_TEXT "stdout: the password line and the key PEM; refused when stdout is a terminal.\n" EXIT_TEXT,
};

static int cmd_session_key(int argc, char **argv)
{
	struct cli cl;
	cli_parse(&cl, &session_spec, argc, argv);
	cli_free(&cl);
	if (isatty(STDOUT_FILENO))
		fail(EXIT_USAGE, "refusing to print a key to a terminal: capture it, as in s=$(cosign-wrap session-key)");
	EVP_PKEY *key = private_key();
	/* a key that cannot sign stops here, before anything relies on it */
	uint8_t md[32];
	randombytes_buf(md, sizeof md);
	free(sign_digest(key, md));
	struct buf out;
	char err[256];
	buf_init(&out);
	int rc = cosign_key_session(key, &out, err, sizeof err);
	EVP_PKEY_free(key);
	if (rc)
		fail(rc, "%s", err);
	out_write(out.data, out.len);
	sodium_memzero(out.data, out.len);
	buf_free(&out);
	close_stdout();
	return 0;
}

/* ---- the program ---- */

static const struct cli_cmd commands[] = {
	{"sign", "sign the blob on stdin, or each FILE into FILE.sig (and a bundle)", cmd_sign},
	{"verify", "verify the blob on stdin against --signature or --bundle with --key", cmd_verify},
	{"generate-key-pair", "write a new key pair in cosign's format (never overwrites)", cmd_generate},
	{"public-key", "print the public key of COSIGN_KEY", cmd_public_key},
	{"session-key", "print a copy of COSIGN_KEY for one run, under a fresh random password", cmd_session_key},
	{0}};

static const struct cli_spec spec = {
	.synopsis = "cosign-wrap sign [--bundle FILE] [--output-signature FILE] < BLOB > SIG\n"
		    "       cosign-wrap sign [--bundles] FILE...\n"
		    "       cosign-wrap verify --key PUB (--signature SIG | --bundle FILE) < BLOB\n"
		    "       cosign-wrap generate-key-pair [--output-key-prefix PREFIX]\n"
		    "       cosign-wrap public-key > PUB\n"
		    "       cosign-wrap session-key > SESSION",
	.about = "Sign and verify blobs in cosign's formats with a key, offline (ECDSA P-256, SHA-256).",
	.trailer = ENV_TEXT EXIT_TEXT,
	.cmds = commands,
};

int main(int argc, char **argv)
{
	prog_init(argv[0]);
	cosign_init();
	return cli_dispatch(&spec, argc, argv);
}
