/* SPDX-License-Identifier: MIT */
/*
 * http_input.c - what a request brings: its query's parameters, numbers
 * checked, and its body as a JSON object (JSON, or a form's fields).
 */
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/http.h>

#include "http.h"
#include "proto.h"
#include "util.h"

const char *
http_param(struct http_ctx *h, const char *name)
{
	return evhttp_find_header(&h->query, name);
}

/* A numeric parameter in [min, max], def if absent; -1 after answering. */
int
http_number(struct http_ctx *h, const char *name, long min, long max,
    long def, long *out)
{
	const char *s = http_param(h, name);

	*out = def;
	if (s == NULL)
		return 0;
	if (parse_long(s, min, max, out) == -1) {
		http_error(h->req, HTTP_BADREQUEST, "bad_parameter",
		    "'%s' must be a whole number from %ld to %ld", name, min,
		    max);
		return -1;
	}
	return 0;
}

/* The request's body as a JSON object (or a form); NULL after answering. */
json_t *
http_body_object(struct http_ctx *h)
{
	struct evbuffer *buf = evhttp_request_get_input_buffer(h->req);
	const char *type = evhttp_find_header(
	    evhttp_request_get_input_headers(h->req), "Content-Type");
	size_t len = evbuffer_get_length(buf);
	char *text = xmalloc(len + 1);
	json_error_t jerr;
	json_t *obj = NULL;

	evbuffer_remove(buf, text, len);
	text[len] = '\0';
	/* curl -d says form even for JSON: a leading '{' decides. */
	if (type != NULL && strncmp(type, "application/x-www-form-urlencoded",
	    33) == 0 && text[strspn(text, " \t\r\n")] != '{') {
		struct evkeyvalq form;
		struct evkeyval *kv;

		if (evhttp_parse_query_str(text, &form) == 0) {
			obj = json_object();
			for (kv = form.tqh_first; kv != NULL;
			    kv = kv->next.tqe_next)
				json_object_set_new(obj, kv->key,
				    (strcmp(kv->key, "rebuild") == 0 ||
				    strcmp(kv->key, "remove") == 0) ?
				    json_boolean(strcmp(kv->value, "1") == 0 ||
				    strcmp(kv->value, "true") == 0) :
				    json_string(kv->value));
			evhttp_clear_headers(&form);
		}
	} else
		obj = json_loadb(text, len, 0, &jerr);
	free(text);
	if (obj == NULL || !json_is_object(obj)) {
		json_decref(obj);
		http_error(h->req, HTTP_BADREQUEST, "bad_json",
		    "the body must be a JSON object or a form");
		return NULL;
	}
	return obj;
}

int
http_body_message(struct http_ctx *h, const char *type,
    struct proto_msg *msg)
{
	json_t *obj;

	if ((obj = http_body_object(h)) == NULL)
		return -1;
	return http_object_message(h, obj, type, msg);
}

int
http_object_message(struct http_ctx *h, json_t *obj, const char *type,
    struct proto_msg *msg)
{
	struct proto_error err;
	char *line;
	int rc;

	json_object_set_new(obj, "type", json_string(type));
	line = json_dumps(obj, JSON_COMPACT);
	json_decref(obj);
	rc = line != NULL ? proto_parse(line, strlen(line), msg, &err) : -1;
	if (rc == -1)
		http_error(h->req, HTTP_BADREQUEST, line ? err.code : "bad_json",
		    "%s", line ? err.message : "unreadable body");
	free(line);
	return rc;
}
