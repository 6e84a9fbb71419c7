#include "cosignkey.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/x509.h>
#include <sodium.h>

#include "lib/codec.h"
#include "lib/ecdsa.h"
#include "lib/json.h"
#include "lib/sha.h"

void cosign_init(void)
{
	struct rlimit no_core = {0, 0};
	setrlimit(RLIMIT_CORE, &no_core);
	if (sodium_init() < 0)
		fail(EXIT_SOFTWARE, "cannot initialise libsodium");
}

/* Secret bytes live in libsodium's guarded, locked allocations and are wiped
 * when freed. */
struct secret {
	uint8_t *p;
	size_t len;
};

static uint8_t *secret_alloc(struct secret *s, size_t n)
{
	s->p = sodium_malloc(n ? n : 1);
	if (!s->p)
		fail(EXIT_SOFTWARE, "out of memory for key material (%zu bytes)", n);
	s->len = 0;
	return s->p;
}

static void secret_free(struct secret *s)
{
	if (s->p)
		sodium_free(s->p);
	s->p = NULL;
	s->len = 0;
}

static int set_err(char *err, size_t errlen, int code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int set_err(char *err, size_t errlen, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	ERR_clear_error();
	return code;
}

int cosign_b64_decode(const char *s, size_t len, struct buf *out)
{
	out->len = 0;
	if (out->cap < len / 4 * 3 + 4) {
		out->cap = len / 4 * 3 + 4;
		out->data = xrealloc(out->data, out->cap);
	}
	size_t n = 0;
	const char *end = NULL;
	if (sodium_base642bin(out->data, out->cap - 1, s, len, "\r\n", &n, &end,
			      sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    end != s + len)
		return -1;
	/* libsodium finds NUL in the ignore list (strchr) and skips it */
	if (memchr(s, 0, len))
		return COSIGN_B64_NUL;
	out->len = n;
	out->data[n] = 0;
	return 0;
}

int cosign_b64_member(jv obj, const char *key, struct buf *out)
{
	jv v = json_get(obj, key);
	int r = -1;
	if (jv_get_kind(v) == JV_KIND_STRING)
		r = cosign_b64_decode(jv_string_value(v), (size_t)jv_string_length_bytes(jv_copy(v)), out);
	jv_free(v);
	return r;
}

/* ---- PEM ---------------------------------------------------------------- */

struct pem {
	char label[64];
	const char *body; /* base64 text between the header lines and END */
	size_t bodylen;
	int encrypted_header; /* "Proc-Type: 4,ENCRYPTED" (legacy OpenSSL encryption) */
};

static const char *find(const char *hay, size_t n, const char *needle)
{
	return memmem(hay, n, needle, strlen(needle));
}

/* Find the first PEM block in text. Labels are reported only when they are
 * short printable words (they are not secret; the body is never quoted). */
static int pem_find(const char *text, size_t len, struct pem *p, char *err, size_t errlen)
{
	const char *end = text + len;
	const char *b = find(text, len, "-----BEGIN ");
	if (!b)
		return set_err(err, errlen, EXIT_DATAERR, "no PEM block (-----BEGIN ...-----)");
	const char *l = b + 11;
	const char *le = find(l, (size_t)(end - l), "-----");
	const char *nl = memchr(l, '\n', (size_t)(end - l));
	if (!le || (nl && nl < le))
		return set_err(err, errlen, EXIT_DATAERR, "PEM BEGIN line is truncated");
	size_t ll = (size_t)(le - l);
	if (ll == 0 || ll >= sizeof p->label)
		return set_err(err, errlen, EXIT_DATAERR, "PEM label is empty or too long");
	for (size_t i = 0; i < ll; i++)
		if (!((l[i] >= 'A' && l[i] <= 'Z') || (l[i] >= '0' && l[i] <= '9') || l[i] == ' ' ||
		      l[i] == '-'))
			return set_err(err, errlen, EXIT_DATAERR, "PEM label has unexpected characters");
	memcpy(p->label, l, ll);
	p->label[ll] = 0;
	const char *s = le + 5;
	while (s < end && (*s == '\r' || *s == ' ' || *s == '\t'))
		s++;
	if (s >= end || *s != '\n')
		return set_err(err, errlen, EXIT_DATAERR, "PEM block '%s' is truncated after BEGIN", p->label);
	s++;
	/* RFC 1421 headers: lines with a colon, ended by an empty line */
	p->encrypted_header = 0;
	const char *eol = memchr(s, '\n', (size_t)(end - s));
	const char *colon = eol ? memchr(s, ':', (size_t)(eol - s)) : NULL;
	if (colon) {
		for (;;) {
			eol = memchr(s, '\n', (size_t)(end - s));
			if (!eol)
				return set_err(err, errlen, EXIT_DATAERR, "PEM block '%s' is truncated in its headers",
					       p->label);
			size_t n = (size_t)(eol - s);
			if (n && s[n - 1] == '\r')
				n--;
			if (n == 0) {
				s = eol + 1;
				break;
			}
			if (find(s, n, "Proc-Type:") && find(s, n, "ENCRYPTED"))
				p->encrypted_header = 1;
			s = eol + 1;
		}
	}
	char endline[96];
	snprintf(endline, sizeof endline, "-----END %s-----", p->label);
	const char *e = find(s, (size_t)(end - s), endline);
	if (!e)
		return set_err(err, errlen, EXIT_DATAERR, "PEM block '%s' has no END line (truncated?)", p->label);
	p->body = s;
	p->bodylen = (size_t)(e - s);
	return 0;
}

/* Decode the base64 body of a PEM block into secret memory. */
static int pem_body(const struct pem *p, struct secret *der, char *err, size_t errlen)
{
	secret_alloc(der, p->bodylen / 4 * 3 + 4);
	const char *end = NULL;
	if (sodium_base642bin(der->p, p->bodylen / 4 * 3 + 4, p->body, p->bodylen, " \t\r\n", &der->len,
			      &end, sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    end != p->body + p->bodylen || der->len == 0) {
		secret_free(der);
		return set_err(err, errlen, EXIT_DATAERR, "PEM block '%s' is not valid base64", p->label);
	}
	/* libsodium skips NUL as if it were in the ignore list */
	if (memchr(p->body, 0, p->bodylen)) {
		secret_free(der);
		return set_err(err, errlen, EXIT_DATAERR, "PEM block '%s' holds a NUL byte in its base64 text", p->label);
	}
	return 0;
}

/* ---- key checks --------------------------------------------------------- */

static int cosign_key_is_p256(EVP_PKEY *key, char *what, size_t whatlen)
{
	if (ec_is_p256(key))
		return 1;
	int id = EVP_PKEY_get_base_id(key);
	if (id == EVP_PKEY_EC) {
		char group[64] = "unknown curve";
		size_t n = 0;
		EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group, &n);
		snprintf(what, whatlen, "EC %s", group);
	} else if (id == EVP_PKEY_RSA || id == EVP_PKEY_RSA_PSS) {
		snprintf(what, whatlen, "RSA %d-bit", EVP_PKEY_get_bits(key));
	} else {
		const char *t = EVP_PKEY_get0_type_name(key);
		snprintf(what, whatlen, "%s", t ? t : "an unknown key type");
	}
	return 0;
}

static int check_p256(EVP_PKEY *k, char *err, size_t errlen)
{
	char what[64];
	if (cosign_key_is_p256(k, what, sizeof what))
		return 0;
	return set_err(err, errlen, EXIT_CONFIG,
		       "the key is %s, not ECDSA P-256 (the only key cosign verify-blob --key checks with SHA-256)",
		       what);
}

/* PKCS#8 PrivateKeyInfo DER -> key; the whole input must be consumed. */
static EVP_PKEY *pkcs8_to_key(const uint8_t *der, size_t len)
{
	const unsigned char *q = der;
	PKCS8_PRIV_KEY_INFO *p8 = d2i_PKCS8_PRIV_KEY_INFO(NULL, &q, (long)len);
	if (!p8)
		return NULL;
	EVP_PKEY *k = q == der + len ? EVP_PKCS82PKEY(p8) : NULL;
	PKCS8_PRIV_KEY_INFO_free(p8);
	return k;
}

/* ---- cosign's encrypted format ------------------------------------------ */

static int scrypt_n_ok(double n)
{
	return n == COSIGN_SCRYPT_N_LEGACY || n == COSIGN_SCRYPT_N_DEFAULT || n == COSIGN_SCRYPT_N_OWASP;
}

static int number_member(jv obj, const char *key, double *out)
{
	jv v = json_get(obj, key);
	int ok = jv_get_kind(v) == JV_KIND_NUMBER;
	if (ok)
		*out = jv_number_value(v);
	jv_free(v);
	return ok;
}

/* The parts of cosign's encrypted key JSON. */
struct sealed {
	struct buf salt, nonce, ct;
	double n, r, p;
};

/* Read and check the kdf, cipher and ciphertext of the key JSON doc. */
static int sealed_parse(jv doc, struct sealed *sb, char *err, size_t errlen)
{
	jv kdf = json_get(doc, "kdf"), params = json_get(kdf, "params"), cipher = json_get(doc, "cipher");
	const char *kname = json_str(kdf, "name"), *cname = json_str(cipher, "name");
	int rc = EXIT_DATAERR;
	if (jv_get_kind(doc) != JV_KIND_OBJECT || jv_get_kind(kdf) != JV_KIND_OBJECT ||
	    jv_get_kind(cipher) != JV_KIND_OBJECT)
		set_err(err, errlen, rc, "encrypted key: the JSON lacks the kdf or cipher object");
	else if (!kname || strcmp(kname, "scrypt") != 0)
		set_err(err, errlen, rc, "encrypted key: kdf is not scrypt");
	else if (jv_get_kind(params) != JV_KIND_OBJECT || !number_member(params, "N", &sb->n) ||
		 !number_member(params, "r", &sb->r) || !number_member(params, "p", &sb->p))
		set_err(err, errlen, rc, "encrypted key: scrypt params N, r, p are missing");
	else if (!scrypt_n_ok(sb->n) || sb->r != 8 || sb->p != 1)
		set_err(err, errlen, rc,
			"encrypted key: unsupported scrypt parameters N=%.0f r=%.0f p=%.0f (cosign accepts N=32768, "
			"65536 or 131072 with r=8, p=1)",
			sb->n, sb->r, sb->p);
	else if (cosign_b64_member(kdf, "salt", &sb->salt) || sb->salt.len > 1024)
		set_err(err, errlen, rc, "encrypted key: the scrypt salt is not base64 (or exceeds 1 KiB)");
	else if (!cname || strcmp(cname, "nacl/secretbox") != 0)
		set_err(err, errlen, rc, "encrypted key: cipher is not nacl/secretbox");
	else if (cosign_b64_member(cipher, "nonce", &sb->nonce) || sb->nonce.len != crypto_secretbox_NONCEBYTES)
		set_err(err, errlen, rc, "encrypted key: the secretbox nonce is not 24 bytes of base64");
	else if (cosign_b64_member(doc, "ciphertext", &sb->ct) || sb->ct.len <= crypto_secretbox_MACBYTES ||
		 sb->ct.len > COSIGN_KEY_MAX)
		set_err(err, errlen, rc, "encrypted key: the ciphertext is not base64 of a secretbox");
	else
		rc = 0;
	jv_free(params);
	jv_free(kdf);
	jv_free(cipher);
	return rc;
}

/* scrypt the password, open the secretbox into plain (secret memory). */
static int sealed_open(const struct sealed *sb, const char *pw, size_t pwlen, struct secret *plain, char *err,
		       size_t errlen)
{
	uint8_t dk[crypto_secretbox_KEYBYTES];
	if (crypto_pwhash_scryptsalsa208sha256_ll((const uint8_t *)pw, pwlen, sb->salt.data, sb->salt.len,
						  (uint64_t)sb->n, (uint32_t)sb->r, (uint32_t)sb->p, dk, sizeof dk) != 0) {
		sodium_memzero(dk, sizeof dk);
		return set_err(err, errlen, EXIT_SOFTWARE, "scrypt failed (N=%.0f needs %.0f MiB of memory)", sb->n,
			       128 * sb->r * sb->n / 1048576);
	}
	secret_alloc(plain, sb->ct.len - crypto_secretbox_MACBYTES);
	int opened = crypto_secretbox_open_easy(plain->p, sb->ct.data, sb->ct.len, sb->nonce.data, dk) == 0;
	sodium_memzero(dk, sizeof dk);
	if (!opened)
		return set_err(err, errlen, EXIT_NOPERM,
			       "cannot decrypt the cosign key: wrong password, or the key file is corrupted");
	plain->len = sb->ct.len - crypto_secretbox_MACBYTES;
	return 0;
}

/* The decrypted key: PKCS#8 DER, or (cosign's own test key) SEC1. */
static int plain_key(const struct secret *plain, EVP_PKEY **out, char *err, size_t errlen)
{
	*out = pkcs8_to_key(plain->p, plain->len);
	if (*out)
		return 0;
	/* cosign's own test key pemcosigneckey holds SEC1 in the box, which
	 * cosign rejects; the key itself is sound, so accept it and say so */
	const unsigned char *q = plain->p;
	*out = d2i_PrivateKey(EVP_PKEY_EC, NULL, &q, (long)plain->len);
	if (*out && q != plain->p + plain->len) {
		EVP_PKEY_free(*out);
		*out = NULL;
	}
	if (!*out)
		return set_err(err, errlen, EXIT_DATAERR, "encrypted key: the decrypted key is not PKCS#8 DER");
	ERR_clear_error();
	warnx("warning: this cosign key holds a SEC1 EC key where cosign expects PKCS#8; cosign itself "
	      "cannot load it (make a new one with generate-key-pair)");
	return 0;
}

static int decrypt_cosign(const struct pem *p, const char *pw, size_t pwlen, EVP_PKEY **out, char *err,
			  size_t errlen)
{
	struct secret js = {0}, plain = {0};
	int rc = pem_body(p, &js, err, errlen);
	if (rc)
		return rc;
	char perr[256];
	jv doc = json_parse((const char *)js.p, js.len, perr, sizeof perr);
	secret_free(&js);
	if (!jv_is_valid(doc)) {
		jv_free(doc);
		return set_err(err, errlen, EXIT_DATAERR, "encrypted key: the PEM body is not JSON");
	}
	struct sealed sb = {0};
	buf_init(&sb.salt);
	buf_init(&sb.nonce);
	buf_init(&sb.ct);
	rc = sealed_parse(doc, &sb, err, errlen);
	if (!rc)
		rc = sealed_open(&sb, pw, pwlen, &plain, err, errlen);
	if (!rc)
		rc = plain_key(&plain, out, err, errlen);
	secret_free(&plain);
	buf_free(&sb.salt);
	buf_free(&sb.nonce);
	buf_free(&sb.ct);
	jv_free(doc);
	return rc;
}

/* ---- other private key PEMs ---------------------------------------------- */

static int decode_plain(const struct pem *p, const char *pw, size_t pwlen, EVP_PKEY **out, char *err,
			size_t errlen)
{
	struct secret der = {0};
	int rc = pem_body(p, &der, err, errlen);
	if (rc)
		return rc;
	const unsigned char *q = der.p;
	EVP_PKEY *k = NULL;
	rc = EXIT_DATAERR;
	if (strcmp(p->label, "PRIVATE KEY") == 0) {
		k = pkcs8_to_key(der.p, der.len);
		if (!k)
			set_err(err, errlen, rc, "PRIVATE KEY PEM is not PKCS#8 DER");
	} else if (strcmp(p->label, "EC PRIVATE KEY") == 0) {
		k = d2i_PrivateKey(EVP_PKEY_EC, NULL, &q, (long)der.len);
		if (k && q != der.p + der.len) {
			EVP_PKEY_free(k);
			k = NULL;
		}
		if (!k)
			set_err(err, errlen, rc, "EC PRIVATE KEY PEM is not SEC1 DER with a named curve");
	} else { /* ENCRYPTED PRIVATE KEY: PKCS#8 EncryptedPrivateKeyInfo */
		X509_SIG *p8e = d2i_X509_SIG(NULL, &q, (long)der.len);
		if (!p8e || q != der.p + der.len) {
			set_err(err, errlen, rc, "ENCRYPTED PRIVATE KEY PEM is not PKCS#8 EncryptedPrivateKeyInfo");
		} else {
			PKCS8_PRIV_KEY_INFO *p8 = PKCS8_decrypt(p8e, pw ? pw : "", pw ? (int)pwlen : 0);
			if (!p8) {
				set_err(err, errlen, EXIT_NOPERM,
					"cannot decrypt the PKCS#8 key: wrong password, or the key is corrupted");
				rc = EXIT_NOPERM;
			} else {
				k = EVP_PKCS82PKEY(p8);
				PKCS8_PRIV_KEY_INFO_free(p8);
				if (!k)
					set_err(err, errlen, rc, "the decrypted PKCS#8 key cannot be parsed");
			}
		}
		X509_SIG_free(p8e);
	}
	secret_free(&der);
	if (!k)
		return rc;
	*out = k;
	return 0;
}

int cosign_key_parse(const char *text, size_t len, const char *pw, size_t pwlen, EVP_PKEY **out,
		     char *err, size_t errlen)
{
	struct pem p;
	*out = NULL;
	int rc = pem_find(text, len, &p, err, errlen);
	if (rc)
		return rc;
	if (strcmp(p.label, COSIGN_LABEL) == 0 || strcmp(p.label, COSIGN_LABEL_LEGACY) == 0) {
		rc = decrypt_cosign(&p, pw ? pw : "", pw ? pwlen : 0, out, err, errlen);
	} else if (strcmp(p.label, "PRIVATE KEY") == 0 || strcmp(p.label, "EC PRIVATE KEY") == 0 ||
		   strcmp(p.label, "ENCRYPTED PRIVATE KEY") == 0) {
		if (p.encrypted_header)
			return set_err(err, errlen, EXIT_DATAERR,
				       "legacy OpenSSL-encrypted PEM (Proc-Type) is not supported: convert it with "
				       "'openssl pkcs8 -topk8' or use cosign's format");
		rc = decode_plain(&p, pw, pwlen, out, err, errlen);
	} else if (strcmp(p.label, "RSA PRIVATE KEY") == 0) {
		return set_err(err, errlen, EXIT_CONFIG, "the key is RSA (PKCS#1 PEM), not ECDSA P-256");
	} else if (strcmp(p.label, "PUBLIC KEY") == 0) {
		return set_err(err, errlen, EXIT_DATAERR, "this is a public key; a private key is needed");
	} else {
		return set_err(err, errlen, EXIT_DATAERR,
			       "unsupported PEM type '%s' (expected %s, %s, PRIVATE KEY, EC PRIVATE KEY or "
			       "ENCRYPTED PRIVATE KEY)",
			       p.label, COSIGN_LABEL, COSIGN_LABEL_LEGACY);
	}
	if (rc)
		return rc;
	rc = check_p256(*out, err, errlen);
	if (rc) {
		EVP_PKEY_free(*out);
		*out = NULL;
	}
	return rc;
}

/* The key file named by COSIGN_KEY into secret memory. Its name is never
 * quoted: a mistyped secret must not reach a log. */
static int read_key_file(const char *path, struct secret *file, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return set_err(err, errlen, EXIT_NOINPUT, "cannot open the key file named by COSIGN_KEY: %s",
			       strerror(errno));
	struct stat st;
	if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
		close(fd);
		return set_err(err, errlen, EXIT_NOINPUT,
			       "cannot read the key file named by COSIGN_KEY: not a regular file (a directory)");
	}
	secret_alloc(file, COSIGN_KEY_MAX + 1);
	for (;;) {
		ssize_t n = read(fd, file->p + file->len, COSIGN_KEY_MAX + 1 - file->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;
			close(fd);
			secret_free(file);
			return set_err(err, errlen, EXIT_IOERR, "cannot read the key file named by COSIGN_KEY: %s",
				       strerror(e));
		}
		if (n == 0)
			break;
		file->len += (size_t)n;
		if (file->len > COSIGN_KEY_MAX) {
			close(fd);
			secret_free(file);
			return set_err(err, errlen, EXIT_DATAERR,
				       "the key file named by COSIGN_KEY exceeds the 64 KiB key cap");
		}
	}
	close(fd);
	return 0;
}

int cosign_key_from_env(EVP_PKEY **out, char *err, size_t errlen)
{
	const char *ref = getenv("COSIGN_KEY");
	const char *pw = getenv("COSIGN_PASSWORD");
	*out = NULL;
	if (!ref || !*ref)
		return set_err(err, errlen, EXIT_CONFIG,
			       "COSIGN_KEY is not set: give the path of a cosign.key, or the key text itself");
	struct secret file = {0};
	const char *text = ref;
	size_t len = strlen(ref);
	if (!strstr(ref, "-----BEGIN")) {
		if (strstr(ref, "://"))
			return set_err(err, errlen, EXIT_CONFIG,
				       "COSIGN_KEY holds a key reference (KMS, env://, ...): cosign-wrap takes a "
				       "path or the key text");
		int rc = read_key_file(ref, &file, err, errlen);
		if (rc)
			return rc;
		text = (const char *)file.p;
		len = file.len;
	}
	int rc = cosign_key_parse(text, len, pw ? pw : "", pw ? strlen(pw) : 0, out, err, errlen);
	secret_free(&file);
	if (rc) {
		size_t n = strlen(err);
		snprintf(err + n, errlen - n, "%s",
			 rc == EXIT_NOPERM && !pw ? " (COSIGN_PASSWORD is not set, so the empty password was tried)"
						  : "");
		/* say where the key came from, without quoting it */
		char tmp[512];
		snprintf(tmp, sizeof tmp, "COSIGN_KEY: %s", err);
		snprintf(err, errlen, "%s", tmp);
	}
	return rc;
}

/* ---- writing keys ------------------------------------------------------- */

static void pem_wrap(struct buf *pem, const char *label, const uint8_t *der, size_t len)
{
	char *b64 = b64_encode(der, len);
	size_t n = strlen(b64);
	buf_printf(pem, "-----BEGIN %s-----\n", label);
	for (size_t i = 0; i < n; i += 64) {
		buf_add(pem, b64 + i, n - i < 64 ? n - i : 64);
		buf_addc(pem, '\n');
	}
	buf_printf(pem, "-----END %s-----\n", label);
	sodium_memzero(b64, n);
	free(b64);
}

int cosign_key_encrypt(EVP_PKEY *key, const char *pw, size_t pwlen, unsigned n, struct buf *pem,
		       char *err, size_t errlen)
{
	if (!scrypt_n_ok(n))
		return set_err(err, errlen, EXIT_USAGE, "scrypt N=%u is not one cosign accepts (32768, 65536, 131072)",
			       n);
	int rc = check_p256(key, err, errlen);
	if (rc)
		return rc;
	PKCS8_PRIV_KEY_INFO *p8 = EVP_PKEY2PKCS8(key);
	int dlen = p8 ? i2d_PKCS8_PRIV_KEY_INFO(p8, NULL) : -1;
	if (dlen <= 0) {
		PKCS8_PRIV_KEY_INFO_free(p8);
		return set_err(err, errlen, EXIT_SOFTWARE, "cannot encode the key as PKCS#8");
	}
	struct secret der = {0}, box = {0};
	unsigned char *q = secret_alloc(&der, (size_t)dlen);
	der.len = (size_t)i2d_PKCS8_PRIV_KEY_INFO(p8, &q);
	PKCS8_PRIV_KEY_INFO_free(p8);

	uint8_t salt[32], nonce[crypto_secretbox_NONCEBYTES], dk[crypto_secretbox_KEYBYTES];
	randombytes_buf(salt, sizeof salt);
	randombytes_buf(nonce, sizeof nonce);
	if (crypto_pwhash_scryptsalsa208sha256_ll((const uint8_t *)pw, pwlen, salt, sizeof salt, n, 8, 1, dk,
						  sizeof dk) != 0) {
		secret_free(&der);
		return set_err(err, errlen, EXIT_SOFTWARE, "scrypt failed (out of memory?)");
	}
	secret_alloc(&box, der.len + crypto_secretbox_MACBYTES);
	box.len = der.len + crypto_secretbox_MACBYTES;
	crypto_secretbox_easy(box.p, der.p, der.len, nonce, dk);
	sodium_memzero(dk, sizeof dk);
	secret_free(&der);

	/* go-securesystemslib's field order: kdf{name, params{N, r, p}, salt}, cipher{name, nonce}, ciphertext */
	char *s64 = b64_encode(salt, sizeof salt), *n64 = b64_encode(nonce, sizeof nonce);
	char *c64 = b64_encode(box.p, box.len);
	struct buf js;
	buf_init(&js);
	buf_printf(&js,
		   "{\"kdf\":{\"name\":\"scrypt\",\"params\":{\"N\":%u,\"r\":8,\"p\":1},\"salt\":\"%s\"},"
		   "\"cipher\":{\"name\":\"nacl/secretbox\",\"nonce\":\"%s\"},\"ciphertext\":\"%s\"}",
		   n, s64, n64, c64);
	pem_wrap(pem, COSIGN_LABEL, js.data, js.len);
	free(s64);
	free(n64);
	free(c64);
	buf_free(&js);
	secret_free(&box);
	return 0;
}

/* ---- a key for one run ---------------------------------------------------- */

int cosign_key_session(EVP_PKEY *key, struct buf *out, char *err, size_t errlen)
{
	int rc = check_p256(key, err, errlen);
	if (rc)
		return rc;
	/* 32 random bytes as hex: the password has the key's strength, so PBKDF2's
	 * default count (no scrypt) protects it as well as any */
	uint8_t raw[32];
	char pw[2 * sizeof raw + 1];
	randombytes_buf(raw, sizeof raw);
	sodium_bin2hex(pw, sizeof pw, raw, sizeof raw);
	sodium_memzero(raw, sizeof raw);
	BIO *b = BIO_new(BIO_s_secmem());
	if (!b || PEM_write_bio_PKCS8PrivateKey(b, key, EVP_aes_256_cbc(), pw, (int)strlen(pw), NULL, NULL) != 1) {
		BIO_free(b);
		sodium_memzero(pw, sizeof pw);
		ERR_clear_error();
		return set_err(err, errlen, EXIT_SOFTWARE, "cannot encrypt the key as PKCS#8");
	}
	char *pem;
	long n = BIO_get_mem_data(b, &pem);
	buf_printf(out, "%s\n", pw);
	buf_add(out, pem, (size_t)n);
	sodium_memzero(pw, sizeof pw);
	BIO_free(b);
	return 0;
}

/* ---- public keys -------------------------------------------------------- */

/* SPKI DER with an uncompressed point, as Go's MarshalPKIXPublicKey writes it. */
static int spki_der(EVP_PKEY *key, uint8_t **der)
{
	EVP_PKEY_set_utf8_string_param(key, OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT,
				       OSSL_PKEY_EC_POINT_CONVERSION_FORMAT_UNCOMPRESSED);
	*der = NULL;
	return i2d_PUBKEY(key, der);
}

int cosign_pub_pem(EVP_PKEY *key, struct buf *pem)
{
	uint8_t *der;
	int n = spki_der(key, &der);
	if (n <= 0)
		return -1;
	pem_wrap(pem, "PUBLIC KEY", der, (size_t)n);
	OPENSSL_free(der);
	return 0;
}

char *cosign_key_hint(EVP_PKEY *key)
{
	uint8_t *der, md[32];
	int n = spki_der(key, &der);
	if (n <= 0)
		return NULL;
	sha256(der, (size_t)n, md);
	OPENSSL_free(der);
	return b64_encode(md, sizeof md);
}

int cosign_pub_parse(const char *text, size_t len, EVP_PKEY **out, char *err, size_t errlen)
{
	struct pem p;
	*out = NULL;
	int rc = pem_find(text, len, &p, err, errlen);
	if (rc)
		return rc;
	if (strcmp(p.label, "PUBLIC KEY") != 0)
		return set_err(err, errlen, EXIT_DATAERR, "expected a PUBLIC KEY PEM, found '%s'", p.label);
	struct secret der = {0};
	if ((rc = pem_body(&p, &der, err, errlen)))
		return rc;
	const unsigned char *q = der.p;
	EVP_PKEY *k = d2i_PUBKEY(NULL, &q, (long)der.len);
	int whole = q == der.p + der.len;
	secret_free(&der);
	if (!k || !whole) {
		EVP_PKEY_free(k);
		return set_err(err, errlen, EXIT_DATAERR, "PUBLIC KEY PEM is not SubjectPublicKeyInfo DER");
	}
	if ((rc = check_p256(k, err, errlen))) {
		EVP_PKEY_free(k);
		return rc;
	}
	*out = k;
	return 0;
}

/* ---- signatures --------------------------------------------------------- */

int cosign_sign_digest(EVP_PKEY *key, const uint8_t digest[32], uint8_t **sig, size_t *siglen)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL);
	size_t len = 0;
	uint8_t *out = NULL;
	int ok = ctx && EVP_PKEY_sign_init(ctx) == 1 && EVP_PKEY_CTX_set_signature_md(ctx, EVP_sha256()) == 1 &&
		 EVP_PKEY_sign(ctx, NULL, &len, digest, 32) == 1 && (out = OPENSSL_malloc(len)) &&
		 EVP_PKEY_sign(ctx, out, &len, digest, 32) == 1;
	EVP_PKEY_CTX_free(ctx);
	if (!ok) {
		OPENSSL_free(out);
		return -1;
	}
	*sig = out;
	*siglen = len;
	return 0;
}

int cosign_verify_digest(EVP_PKEY *key, const uint8_t digest[32], const uint8_t *sig, size_t siglen)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL);
	int ok = ctx && EVP_PKEY_verify_init(ctx) == 1 && EVP_PKEY_CTX_set_signature_md(ctx, EVP_sha256()) == 1 &&
		 EVP_PKEY_verify(ctx, sig, siglen, digest, 32) == 1;
	EVP_PKEY_CTX_free(ctx);
	ERR_clear_error();
	return ok;
}

int cosign_sig_to_der(const uint8_t *sig, size_t len, struct buf *out)
{
	out->len = 0;
	const unsigned char *q = sig;
	ECDSA_SIG *s = d2i_ECDSA_SIG(NULL, &q, (long)len);
	if (s) {
		/* only canonical DER, as Go's ecdsa.VerifyASN1 and OpenSSL's verifier demand */
		unsigned char *re = NULL;
		int n = q == sig + len ? i2d_ECDSA_SIG(s, &re) : -1;
		int same = n > 0 && (size_t)n == len && memcmp(re, sig, len) == 0;
		OPENSSL_free(re);
		ECDSA_SIG_free(s);
		ERR_clear_error();
		if (same) {
			buf_add(out, sig, len);
			return 0;
		}
	}
	ERR_clear_error();
	if (len == 64) { /* IEEE P1363 r||s */
		uint8_t *der;
		size_t dlen;
		if (ecdsa_raw_to_der(sig, &der, &dlen))
			return -1;
		buf_add(out, der, dlen);
		OPENSSL_free(der);
		return 0;
	}
	return -1;
}
