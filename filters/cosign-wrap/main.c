/* cosign-wrap: sign and verify blobs in cosign's formats with a key, offline:
 * base64 DER ECDSA P-256 signatures, Sigstore v0.3 bundles, cosign's
 * encrypted key files. Output verifies with cosign verify-blob --key. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <sodium.h>

#include "lib/codec.h"
#include "lib/common.h"
#include "cosignkey.h"
#include "lib/ecdsa.h"
#include "lib/json.h"

static const char synopsis[] =
	"cosign-wrap sign [--bundle FILE] [--output-signature FILE] < BLOB > SIG\n"
	"       cosign-wrap sign [--bundles] FILE...\n"
	"       cosign-wrap verify --key PUB (--signature SIG | --bundle FILE) < BLOB\n"
	"       cosign-wrap generate-key-pair [--output-key-prefix PREFIX]\n"
	"       cosign-wrap public-key > PUB";

#define MEDIA_V03 "application/vnd.dev.sigstore.bundle.v0.3+json"
#define MEDIA_V03_OLD "application/vnd.dev.sigstore.bundle+json;version=0.3"

static void help(void)
{
	printf("usage: %s\n"
	       "Sign and verify blobs in cosign's formats with a key, offline (ECDSA P-256, SHA-256).\n"
	       "\n"
	       "  sign               sign the blob on stdin; write the base64 DER signature (no newline)\n"
	       "    --bundle FILE    also write a Sigstore bundle v0.3 (message signature, key hint)\n"
	       "    --output-signature FILE  write the signature to FILE instead of stdout\n"
	       "  sign FILE...       sign each FILE into FILE.sig, decrypting the key once\n"
	       "    --bundles        also write FILE.sigstore.json for each\n"
	       "  verify             verify the blob on stdin; prints \"Verified OK\"\n"
	       "    --key PUB        the PUBLIC KEY PEM (cosign.pub)\n"
	       "    --signature SIG  a signature file: base64 or raw, DER or r||s\n"
	       "    --bundle FILE    a Sigstore bundle v0.3 (digest and signature are checked) or\n"
	       "                     cosign's legacy {base64Signature} bundle\n"
	       "  generate-key-pair  write PREFIX.key (cosign's encrypted format, scrypt N=65536)\n"
	       "                     and PREFIX.pub; never overwrites\n"
	       "    --output-key-prefix PREFIX  default: cosign\n"
	       "  public-key         print the PUBLIC KEY PEM of COSIGN_KEY\n"
	       "  --help, --version\n"
	       "\n"
	       "environment: COSIGN_KEY, the private key: a path or the PEM text (cosign's encrypted\n"
	       "format with either label, PKCS#8, encrypted PKCS#8 or SEC1 EC PEM); COSIGN_PASSWORD,\n"
	       "its password (may be empty; must be set for generate-key-pair).\n"
	       "exit: 0 ok, 1 invalid signature, 2 usage, 65 malformed signature/key/bundle,\n"
	       "66 missing file, 74 write error or existing key file, 77 wrong password,\n"
	       "78 key not P-256 or COSIGN_KEY missing.\n",
	       synopsis);
}

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

/* Parse the options of a subcommand; unknown ones are usage errors, and so are
 * arguments unless the subcommand takes them (allow_args). */
static int next_opt_args(int argc, char **argv, const struct option *opts, int allow_args)
{
	int c = getopt_long(argc, argv, ":", opts, NULL);
	if (c == 'h') {
		help();
		close_stdout();
		exit(0);
	}
	if (c == 'V') {
		printf("cosign-wrap %s\n", MP_VERSION);
		close_stdout();
		exit(0);
	}
	if (c == '?' || c == ':')
		usage_fail(synopsis, "%s option '%s'", c == ':' ? "missing value for" : "unknown",
			   argv[optind - 1]);
	if (c == -1 && optind < argc && !allow_args)
		usage_fail(synopsis, "unexpected argument '%s'", argv[optind]);
	return c;
}

static int next_opt(int argc, char **argv, const struct option *opts)
{
	return next_opt_args(argc, argv, opts, 0);
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

static void write_bundle(EVP_PKEY *key, const uint8_t md[32], const char *b64, const char *path)
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
	struct buf text;
	buf_init(&text);
	json_dump_buf(b, 1, &text);
	write_file(path, text.data, text.len, 0644);
	buf_free(&text);
	free(hint);
	free(dig);
}

/* sign FILE...: FILE.sig (and FILE.sigstore.json) for each, one key load */
static int sign_files(EVP_PKEY *key, char **files, int n, int bundles)
{
	for (int i = 0; i < n; i++) {
		FILE *f = fopen(files[i], "rb");
		if (!f)
			fail(EXIT_NOINPUT, "cannot open '%s': %s", files[i], strerror(errno));
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
			write_bundle(key, md, b64, path);
		}
		free(path);
		free(b64);
	}
	EVP_PKEY_free(key);
	close_stdout();
	return 0;
}

static int cmd_sign(int argc, char **argv)
{
	const char *bundle = NULL, *outsig = NULL;
	int bundles = 0;
	static const struct option opts[] = {
		{"bundle", required_argument, NULL, 'b'}, {"output-signature", required_argument, NULL, 'o'},
		{"bundles", no_argument, NULL, 'B'}, {"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'}, {0, 0, 0, 0}};
	int c;
	while ((c = next_opt_args(argc, argv, opts, 1)) != -1)
		if (c == 'b')
			bundle = optarg;
		else if (c == 'B')
			bundles = 1;
		else
			outsig = optarg;
	if (optind < argc && (bundle || outsig))
		usage_fail(synopsis, "--bundle and --output-signature sign stdin; with files use --bundles");
	if (optind == argc && bundles)
		usage_fail(synopsis, "--bundles needs files to sign");

	EVP_PKEY *key = private_key();
	if (optind < argc)
		return sign_files(key, argv + optind, argc - optind, bundles);
	uint8_t md[32];
	digest_stdin(md);
	char *b64 = sign_digest(key, md);
	if (bundle)
		write_bundle(key, md, b64, bundle);
	if (outsig) {
		write_file(outsig, b64, strlen(b64), 0644);
	} else if (fwrite(b64, 1, strlen(b64), stdout) != strlen(b64) || fflush(stdout) != 0) {
		int e = errno;
		if (bundle)
			unlink(bundle);
		free(b64);
		EVP_PKEY_free(key);
		fail(EXIT_IOERR, "cannot write to standard output: %s", strerror(e));
	}
	free(b64);
	EVP_PKEY_free(key);
	close_stdout();
	return 0;
}

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
	if (cosign_b64_decode((const char *)p, n, &dec) == 0) {
		p = dec.data;
		n = dec.len;
	}
	if (n == 0 || cosign_sig_to_der(p, n, der))
		fail(EXIT_DATAERR, "malformed signature in %s: not an ECDSA signature (DER or 64-byte r||s)", what);
	buf_free(&dec);
}

/* Read a bundle: the signature into der and, when the bundle has one, the
 * message digest into md (*has_md = 1). */
static void read_bundle(const char *path, struct buf *der, uint8_t md[32], int *has_md)
{
	jv b = json_read_file(path, 4 * MP_MIB);
	struct buf tmp;
	buf_init(&tmp);
	*has_md = 0;
	if (jv_get_kind(b) != JV_KIND_OBJECT)
		fail(EXIT_DATAERR, "bundle '%s': not a JSON object", path);
	const char *media = json_str(b, "mediaType"), *legacy = json_str(b, "base64Signature");
	if (!media && legacy) { /* cosign's legacy bundle: {base64Signature, cert, rekorBundle} */
		signature_bytes((const uint8_t *)legacy, strlen(legacy), "the bundle's base64Signature", der);
		goto out;
	}
	if (!media)
		fail(EXIT_DATAERR, "bundle '%s': no mediaType (not a Sigstore bundle)", path);
	if (strcmp(media, MEDIA_V03) != 0 && strcmp(media, MEDIA_V03_OLD) != 0)
		fail(EXIT_DATAERR, "bundle '%s': unsupported mediaType '%.80s' (expected %s)", path, media, MEDIA_V03);
	jv ms = json_get(b, "messageSignature");
	if (jv_get_kind(ms) != JV_KIND_OBJECT) {
		jv dsse = json_get(b, "dsseEnvelope");
		int is_dsse = jv_is_valid(dsse);
		jv_free(dsse);
		fail(EXIT_DATAERR, "bundle '%s': %s", path,
		     is_dsse ? "DSSE envelopes are not supported (blob signatures only)" : "no messageSignature");
	}
	jv d = json_get(ms, "messageDigest");
	if (jv_is_valid(d)) {
		const char *alg = json_str(d, "algorithm"), *dig = json_str(d, "digest");
		if (!alg || strcmp(alg, "SHA2_256") != 0)
			fail(EXIT_DATAERR, "bundle '%s': messageDigest algorithm is not SHA2_256", path);
		if (!dig || cosign_b64_decode(dig, strlen(dig), &tmp) || tmp.len != 32)
			fail(EXIT_DATAERR, "bundle '%s': messageDigest digest is not 32 bytes of base64", path);
		memcpy(md, tmp.data, 32);
		*has_md = 1;
	}
	jv_free(d);
	const char *sig = json_str(ms, "signature");
	if (!sig || cosign_b64_decode(sig, strlen(sig), &tmp) || tmp.len == 0 ||
	    cosign_sig_to_der(tmp.data, tmp.len, der))
		fail(EXIT_DATAERR, "bundle '%s': messageSignature signature is not a base64 ECDSA signature", path);
	jv_free(ms);
out:
	buf_free(&tmp);
	jv_free(b);
}

static int cmd_verify(int argc, char **argv)
{
	const char *keypath = NULL, *sigpath = NULL, *bundle = NULL;
	static const struct option opts[] = {
		{"key", required_argument, NULL, 'k'}, {"signature", required_argument, NULL, 's'},
		{"bundle", required_argument, NULL, 'b'}, {"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'}, {0, 0, 0, 0}};
	int c;
	while ((c = next_opt(argc, argv, opts)) != -1)
		switch (c) {
		case 'k': keypath = optarg; break;
		case 's': sigpath = optarg; break;
		default: bundle = optarg; break;
		}
	if (!keypath)
		usage_fail(synopsis, "verify needs --key PUB");
	if (!sigpath == !bundle)
		usage_fail(synopsis, "verify needs one of --signature or --bundle");

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

/* Create path with data, never replacing a file that exists (also one that
 * appears meanwhile): a temporary file, fsync, then link(2). */
static int create_new(const char *path, const void *data, size_t len, mode_t mode, char *err, size_t errlen)
{
	size_t n = strlen(path) + 16;
	char *tmp = xmalloc(n);
	snprintf(tmp, n, "%s.tmp.XXXXXX", path);
	int fd = mkstemp(tmp), e = 0;
	if (fd < 0) {
		snprintf(err, errlen, "cannot create '%s': %s", path, strerror(errno));
		free(tmp);
		return -1;
	}
	const uint8_t *p = data;
	size_t left = len;
	while (left && !e) {
		ssize_t w = write(fd, p, left);
		if (w < 0 && errno != EINTR)
			e = errno;
		else if (w > 0) {
			p += w;
			left -= (size_t)w;
		}
	}
	if (!e && (fchmod(fd, mode) != 0 || fsync(fd) != 0))
		e = errno;
	if (close(fd) != 0 && !e)
		e = errno;
	if (!e && link(tmp, path) != 0)
		e = errno;
	unlink(tmp);
	free(tmp);
	if (e)
		snprintf(err, errlen, e == EEXIST ? "'%s' exists: refusing to overwrite it" : "cannot write '%s': %s",
			 path, strerror(e));
	return e ? -1 : 0;
}

static int cmd_generate(int argc, char **argv)
{
	const char *prefix = "cosign";
	static const struct option opts[] = {{"output-key-prefix", required_argument, NULL, 'p'},
					     {"help", no_argument, NULL, 'h'},
					     {"version", no_argument, NULL, 'V'},
					     {0, 0, 0, 0}};
	int c;
	while ((c = next_opt(argc, argv, opts)) != -1)
		prefix = optarg;
	if (!*prefix)
		usage_fail(synopsis, "--output-key-prefix must not be empty");
	const char *pw = getenv("COSIGN_PASSWORD");
	if (!pw)
		fail(EXIT_CONFIG, "COSIGN_PASSWORD is not set: set it to the new key's password (empty for none)");

	char keyfile[PATH_MAX], pubfile[PATH_MAX], err[600];
	if (strlen(prefix) + 5 > sizeof keyfile)
		usage_fail(synopsis, "--output-key-prefix is longer than PATH_MAX");
	snprintf(keyfile, sizeof keyfile, "%s.key", prefix);
	snprintf(pubfile, sizeof pubfile, "%s.pub", prefix);
	struct stat st;
	if (lstat(keyfile, &st) == 0 || lstat(pubfile, &st) == 0)
		fail(EXIT_IOERR, "'%s' exists: refusing to overwrite it",
		     lstat(keyfile, &st) == 0 ? keyfile : pubfile);

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
	if (create_new(keyfile, kpem.data, kpem.len, 0600, err, sizeof err))
		fail(EXIT_IOERR, "%s", err);
	if (create_new(pubfile, ppem.data, ppem.len, 0644, err, sizeof err)) {
		unlink(keyfile);
		fail(EXIT_IOERR, "%s", err);
	}
	sodium_memzero(kpem.data, kpem.len);
	buf_free(&kpem);
	buf_free(&ppem);
	close_stdout();
	return 0;
}

static int cmd_public_key(int argc, char **argv)
{
	static const struct option opts[] = {
		{"help", no_argument, NULL, 'h'}, {"version", no_argument, NULL, 'V'}, {0, 0, 0, 0}};
	while (next_opt(argc, argv, opts) != -1)
		;
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

int main(int argc, char **argv)
{
	prog_init(argv[0]);
	cosign_init();
	opterr = 0;
	if (argc < 2)
		usage_fail(synopsis, "no command given");
	const char *cmd = argv[1];
	if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
		help();
		close_stdout();
		return 0;
	}
	if (strcmp(cmd, "--version") == 0) {
		printf("cosign-wrap %s\n", MP_VERSION);
		close_stdout();
		return 0;
	}
	static const struct {
		const char *name;
		int (*run)(int, char **);
	} cmds[] = {{"sign", cmd_sign},
		    {"verify", cmd_verify},
		    {"generate-key-pair", cmd_generate},
		    {"public-key", cmd_public_key}};
	for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
		if (strcmp(cmd, cmds[i].name) == 0)
			return cmds[i].run(argc - 1, argv + 1);
	usage_fail(synopsis, "unknown command '%s'", cmd);
}
