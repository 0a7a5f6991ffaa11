/* SPDX-License-Identifier: MIT */
/*
 * seal.c - values sealed at rest (seal.h): the key file, made once with
 * random bytes and read with care, and AES-256-GCM through OpenSSL's EVP
 * interface.  Only this file and tls.c include OpenSSL's headers.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "seal.h"
#include "util.h"

#define SEAL_NONCE_LEN 12
#define SEAL_TAG_LEN 16

void
seal_wipe(void *p, size_t len)
{
	if (p != NULL && len > 0)
		OPENSSL_cleanse(p, len);
}

/* Read the key from the open file fd (path, for messages): 0 or -1. */
static int
seal_key_read(int fd, const char *path, unsigned char key[SEAL_KEY_LEN])
{
	struct stat st;
	ssize_t n;

	if (fstat(fd, &st) == -1) {
		log_warn("unable to use key file '%s'", path);
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		log_warnx("unable to use key file '%s': not a regular file",
		    path);
		return -1;
	}
	if (st.st_mode & (S_IRWXG | S_IRWXO)) {
		log_warnx("unable to use key file '%s': others than its owner "
		    "can read or change it (chmod 600)", path);
		return -1;
	}
	if (st.st_size != SEAL_KEY_LEN) {
		log_warnx("unable to use key file '%s': it holds %lld bytes, "
		    "not %d", path, (long long)st.st_size, SEAL_KEY_LEN);
		return -1;
	}
	do
		n = pread(fd, key, SEAL_KEY_LEN, 0);
	while (n == -1 && errno == EINTR);
	if (n != SEAL_KEY_LEN) {
		if (n == -1)
			log_warn("unable to read key file '%s'", path);
		else
			log_warnx("unable to read key file '%s': short read",
			    path);
		seal_wipe(key, SEAL_KEY_LEN);
		return -1;
	}
	return 0;
}

/*
 * A new key at path: written whole to a temporary file of mode 0600, then
 * linked to its name, which never replaces a key another process made
 * first (that one is read instead).  0, 1 if path appeared meanwhile, -1.
 */
static int
seal_key_make(const char *path, unsigned char key[SEAL_KEY_LEN])
{
	char *tmp;
	int fd, rc = -1;

	if (RAND_bytes(key, SEAL_KEY_LEN) != 1) {
		log_warnx("unable to make key file '%s': no random bytes",
		    path);
		return -1;
	}
	xasprintf(&tmp, "%s.tmp.%ld", path, (long)getpid());
	unlink(tmp);	/* a crashed attempt's */
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
	    0600);
	if (fd == -1) {
		log_warn("unable to make key file '%s'", tmp);
		goto out;
	}
	if (write_all(fd, key, SEAL_KEY_LEN) == -1 || fsync(fd) == -1) {
		log_warn("unable to write key file '%s'", tmp);
		close(fd);
		goto out;
	}
	if (close(fd) == -1) {
		log_warn("unable to write key file '%s'", tmp);
		goto out;
	}
	if (link(tmp, path) == -1) {
		if (errno == EEXIST)
			rc = 1;
		else
			log_warn("unable to make key file '%s'", path);
		goto out;
	}
	sync_parent_dir(path);
	log_info("made key file '%s' for the secrets: keep it out of backups "
	    "of the state dir, and back it up apart", path);
	rc = 0;
out:
	unlink(tmp);
	free(tmp);
	if (rc != 0)
		seal_wipe(key, SEAL_KEY_LEN);
	return rc;
}

int
seal_key_load(const char *path, unsigned char key[SEAL_KEY_LEN])
{
	int fd, rc;

	for (int tries = 0; tries < 2; tries++) {
		fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		if (fd != -1) {
			rc = seal_key_read(fd, path, key);
			close(fd);
			return rc;
		}
		if (errno != ENOENT) {
			log_warn("unable to open key file '%s'", path);
			return -1;
		}
		if ((rc = seal_key_make(path, key)) != 1)
			return rc;
	}
	log_warnx("unable to make key file '%s': it keeps changing", path);
	return -1;
}

int
seal_value(const unsigned char key[SEAL_KEY_LEN], const void *aad,
    size_t aadlen, const void *value, size_t len, unsigned char **out,
    size_t *outlen)
{
	EVP_CIPHER_CTX *ctx;
	unsigned char *buf, *nonce, *ct;
	int n, ok;

	if (len > INT_MAX - SEAL_OVERHEAD || aadlen > INT_MAX) {
		log_warnx("unable to seal a value of %zu bytes", len);
		return -1;
	}
	buf = xmalloc(len + SEAL_OVERHEAD);
	buf[0] = SEAL_VERSION;
	nonce = buf + 1;
	ct = nonce + SEAL_NONCE_LEN;
	if ((ctx = EVP_CIPHER_CTX_new()) == NULL)
		fatalx("%s: out of memory", __func__);
	ok = RAND_bytes(nonce, SEAL_NONCE_LEN) == 1 &&
	    EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL) == 1 &&
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, SEAL_NONCE_LEN,
	    NULL) == 1 &&
	    EVP_EncryptInit_ex(ctx, NULL, NULL, key, nonce) == 1 &&
	    (aadlen == 0 || EVP_EncryptUpdate(ctx, NULL, &n, aad,
	    (int)aadlen) == 1) &&
	    (len == 0 || EVP_EncryptUpdate(ctx, ct, &n, value,
	    (int)len) == 1) &&
	    EVP_EncryptFinal_ex(ctx, ct + len, &n) == 1 &&
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, SEAL_TAG_LEN,
	    ct + len) == 1;
	EVP_CIPHER_CTX_free(ctx);
	if (!ok) {
		log_warnx("unable to seal a value: OpenSSL refused");
		seal_wipe(buf, len + SEAL_OVERHEAD);
		free(buf);
		return -1;
	}
	*out = buf;
	*outlen = len + SEAL_OVERHEAD;
	return 0;
}

int
seal_open(const unsigned char key[SEAL_KEY_LEN], const void *aad,
    size_t aadlen, const unsigned char *sealed, size_t len, char **out,
    size_t *outlen)
{
	EVP_CIPHER_CTX *ctx;
	const unsigned char *nonce, *ct, *tag;
	size_t ctlen;
	char *buf;
	int n, ok;

	if (len < SEAL_OVERHEAD || sealed[0] != SEAL_VERSION ||
	    len > INT_MAX || aadlen > INT_MAX)
		return -1;
	nonce = sealed + 1;
	ct = nonce + SEAL_NONCE_LEN;
	ctlen = len - SEAL_OVERHEAD;
	tag = ct + ctlen;
	buf = xmalloc(ctlen + 1);
	if ((ctx = EVP_CIPHER_CTX_new()) == NULL)
		fatalx("%s: out of memory", __func__);
	ok = EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL) == 1 &&
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, SEAL_NONCE_LEN,
	    NULL) == 1 &&
	    EVP_DecryptInit_ex(ctx, NULL, NULL, key, nonce) == 1 &&
	    (aadlen == 0 || EVP_DecryptUpdate(ctx, NULL, &n, aad,
	    (int)aadlen) == 1) &&
	    (ctlen == 0 || EVP_DecryptUpdate(ctx, (unsigned char *)buf, &n, ct,
	    (int)ctlen) == 1) &&
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, SEAL_TAG_LEN,
	    (void *)tag) == 1 &&
	    EVP_DecryptFinal_ex(ctx, (unsigned char *)buf + ctlen, &n) == 1;
	EVP_CIPHER_CTX_free(ctx);
	if (!ok) {
		seal_wipe(buf, ctlen + 1);
		free(buf);
		return -1;
	}
	buf[ctlen] = '\0';
	*out = buf;
	*outlen = ctlen;
	return 0;
}
