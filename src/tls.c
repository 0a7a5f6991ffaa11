/* SPDX-License-Identifier: MIT */
/*
 * tls.c - OpenSSL contexts and bufferevents (TLS 1.2 at least), and the
 * other things we ask of OpenSSL: HMAC-SHA256 for forges' webhook
 * signatures, SHA-256 for a runner's cache keys.  Only this file and
 * seal.c (the store's secrets) include OpenSSL's headers.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "tls.h"
#include "util.h"

static void
tls_fatal(const char *what, const char *file)
{
	char buf[256];

	ERR_error_string_n(ERR_get_error(), buf, sizeof buf);
	fatalx("unable to %s '%s': %s", what, file, buf);
}

struct ssl_ctx_st *
tls_server(const char *cert, const char *key)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());

	if (ctx == NULL)
		fatalx("unable to create a TLS context");
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1)
		tls_fatal("load the certificate", cert);
	if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1)
		tls_fatal("load the key", key);
	if (SSL_CTX_check_private_key(ctx) != 1)
		tls_fatal("match the key to the certificate", key);
	return ctx;
}

struct ssl_ctx_st *
tls_client(const char *ca)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

	if (ctx == NULL)
		fatalx("unable to create a TLS context");
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	if (ca != NULL) {
		if (SSL_CTX_load_verify_locations(ctx, ca, NULL) != 1)
			tls_fatal("load the CA file", ca);
	} else if (SSL_CTX_set_default_verify_paths(ctx) != 1)
		tls_fatal("load the system's CA store", "default");
	return ctx;
}

struct bufferevent *
tls_accept(struct event_base *base, struct ssl_ctx_st *ctx, int fd)
{
	SSL *ssl = SSL_new(ctx);

	if (ssl == NULL)
		return NULL;
	return bufferevent_openssl_socket_new(base, fd, ssl,
	    BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE);
}

struct bufferevent *
tls_connect(struct event_base *base, struct ssl_ctx_st *ctx, const char *host,
    int fd)
{
	SSL *ssl = SSL_new(ctx);

	if (ssl == NULL)
		return NULL;
	/* The certificate must name the host we asked for. */
	SSL_set_tlsext_host_name(ssl, host);
	if (SSL_set1_host(ssl, host) != 1) {
		SSL_free(ssl);
		return NULL;
	}
	return bufferevent_openssl_socket_new(base, fd, ssl,
	    BUFFEREVENT_SSL_CONNECTING, BEV_OPT_CLOSE_ON_FREE);
}

const char *
tls_error(struct bufferevent *bev)
{
	static char buf[300];
	SSL *ssl = bufferevent_openssl_get_ssl(bev);
	unsigned long e = bufferevent_get_openssl_error(bev);
	long verify;

	if (ssl != NULL && (verify = SSL_get_verify_result(ssl)) != X509_V_OK) {
		snprintf(buf, sizeof buf, "certificate refused: %s",
		    X509_verify_cert_error_string(verify));
		return buf;
	}
	if (e != 0) {
		ERR_error_string_n(e, buf, sizeof buf);
		return buf;
	}
	return NULL;
}

void
tls_free(struct ssl_ctx_st *ctx)
{
	SSL_CTX_free(ctx);
}

void
tls_hmac_sha256_hex(const char *key, const void *data, size_t len,
    char hex[65])
{
	static const char digits[] = "0123456789abcdef";
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0;

	/* An empty body still has a MAC: HMAC wants a non-NULL pointer. */
	if (HMAC(EVP_sha256(), key, (int)strlen(key),
	    data != NULL ? data : (const void *)"", len, mac, &maclen) == NULL ||
	    maclen != 32) {
		/* "x" never matches a signature of hex digits. */
		memset(hex, 'x', 64);
		hex[64] = '\0';
		return;
	}
	for (unsigned int i = 0; i < maclen; i++) {
		hex[2 * i] = digits[mac[i] >> 4];
		hex[2 * i + 1] = digits[mac[i] & 15];
	}
	hex[64] = '\0';
}

/* The digest's 32 bytes as 64 lowercase hex digits. */
static void
tls_hex(const unsigned char *md, char hex[65])
{
	static const char digits[] = "0123456789abcdef";

	for (int i = 0; i < 32; i++) {
		hex[2 * i] = digits[md[i] >> 4];
		hex[2 * i + 1] = digits[md[i] & 15];
	}
	hex[64] = '\0';
}

struct tls_sha256 {
	EVP_MD_CTX *ctx;
	int failed;
};

struct tls_sha256 *
tls_sha256_new(void)
{
	struct tls_sha256 *h = xcalloc(1, sizeof *h);

	h->ctx = EVP_MD_CTX_new();
	h->failed = h->ctx == NULL ||
	    EVP_DigestInit_ex(h->ctx, EVP_sha256(), NULL) != 1;
	return h;
}

void
tls_sha256_update(struct tls_sha256 *h, const void *data, size_t len)
{
	if (!h->failed && len > 0)
		h->failed = EVP_DigestUpdate(h->ctx, data, len) != 1;
}

void
tls_sha256_end(struct tls_sha256 *h, char hex[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	if (h->failed || EVP_DigestFinal_ex(h->ctx, md, &mdlen) != 1 ||
	    mdlen != 32)
		fatalx("SHA-256 failed");	/* only out of memory */
	tls_hex(md, hex);
	EVP_MD_CTX_free(h->ctx);
	free(h);
}

void
tls_sha256_hex(const void *data, size_t len, char hex[65])
{
	struct tls_sha256 *h = tls_sha256_new();

	tls_sha256_update(h, data, len);
	tls_sha256_end(h, hex);
}
