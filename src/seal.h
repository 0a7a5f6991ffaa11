/* SPDX-License-Identifier: MIT */
/*
 * seal.h - values kept sealed at rest (the store's secrets): AES-256-GCM
 * under a key of 32 random bytes kept in a file of its own (STATE/
 * secrets.key, mode 0600, made on first need), a random nonce per value,
 * and the value's context (its repository and name) authenticated with
 * it, so that a sealed value moved to another row does not open.  A
 * copy of the database alone reveals nothing; the key file beside it
 * does.  Only this file and tls.c include OpenSSL's headers.
 *
 * A sealed value is one version byte (SEAL_VERSION), the 12-byte nonce,
 * the ciphertext (as long as the value) and the 16-byte tag.
 */
#ifndef SSCI_SEAL_H
#define SSCI_SEAL_H

#include <stddef.h>

#define SEAL_KEY_LEN 32
#define SEAL_VERSION 1
/* What sealing adds to a value's length. */
#define SEAL_OVERHEAD (1 + 12 + 16)

/*
 * The key in the file at path, made there first (atomically, mode 0600)
 * if there is none: 0 and key, or -1 after saying why (quoting path).  A
 * file of another size, not a regular file, or one that others than its
 * owner can read is refused.
 */
int seal_key_load(const char *path, unsigned char key[SEAL_KEY_LEN]);

/*
 * Seal len bytes of value with key, binding aad (aadlen bytes): 0 and
 * *out (malloc'd, *outlen = len + SEAL_OVERHEAD bytes), or -1 after
 * saying why.
 */
int seal_value(const unsigned char key[SEAL_KEY_LEN], const void *aad,
    size_t aadlen, const void *value, size_t len, unsigned char **out,
    size_t *outlen);

/*
 * Open what seal_value made with the same key and aad: 0 and *out
 * (malloc'd, NUL-terminated, *outlen bytes before the NUL), or -1 if it
 * does not open (another key, another aad, changed bytes); nothing is
 * logged, the caller says which value it was.
 */
int seal_open(const unsigned char key[SEAL_KEY_LEN], const void *aad,
    size_t aadlen, const unsigned char *sealed, size_t len, char **out,
    size_t *outlen);

/* Overwrite len bytes at p with zeros, in a way no compiler leaves out. */
void seal_wipe(void *p, size_t len);

#endif
