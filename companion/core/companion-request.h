/* companion-request.h: one HTTP request, as a handler sees it
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The core reads the SoupServerMessage once and hands features this: the
 * parsed JSON body, the credentials and the client's address, already
 * checked for shape. Nothing here refers back to libsoup's message.
 */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef struct _CompanionCore CompanionCore;

typedef struct {
  CompanionCore *core;
  const char    *method;         /* "GET", "POST", ... (interned) */
  const char    *path;           /* under {basePath} for API routes, else from the root */
  const char    *rest;           /* what follows the route's path on a prefix route, else "" */
  GHashTable    *query;          /* nullable */
  JsonObject    *body;           /* the JSON object of a route that takes one, else NULL */
  const char    *origin;         /* the Origin header, nullable */
  const char    *client_ip;      /* the client, or behind a trusted proxy the one it names */
  const char    *user_agent;     /* control characters replaced, at most 256 characters */
  const char    *session_token;  /* Bearer token, else the session cookie; nullable */
  /* The body as received, for a route that takes JSON (checked as @body
   * is); NULL otherwise. */
  const char    *raw_body;
  gsize          raw_body_len;
  /* COMPANION_ROUTE_DEFER_BODY: why the core refused the body (then @body
   * and @raw_body are NULL), for companion_request_check_body(). */
  const GError  *body_error;

  /*< private >*/
  gpointer       headers;        /* SoupMessageHeaders */
  GHashTable    *cookies;
} CompanionRequest;

#define COMPANION_MAX_TOKEN_FIELD 128

/* A request header, or NULL. */
const char *companion_request_get_header (const CompanionRequest *request,
                                          const char             *name);
/* A cookie of the request, or NULL. */
const char *companion_request_get_cookie (const CompanionRequest *request,
                                          const char             *name);
/* A query parameter, or NULL. */
const char *companion_request_get_query  (const CompanionRequest *request,
                                          const char             *name);

/* The one reader of untrusted JSON string members: missing or null gives
 * NULL (an INVALID_REQUEST when @required); another type, a control
 * character or more than @max_chars characters is an INVALID_REQUEST
 * naming the field. */
gboolean    companion_json_get_string    (JsonObject             *object,
                                          const char             *field,
                                          gboolean                required,
                                          guint                   max_chars,
                                          const char            **out,
                                          GError                **error);
/* An object member (required): anything else is an INVALID_REQUEST. */
gboolean    companion_json_get_object    (JsonObject             *object,
                                          const char             *field,
                                          JsonObject            **out,
                                          GError                **error);
/* companion_json_get_string() on the request's body. */
gboolean    companion_request_get_string (const CompanionRequest *request,
                                          const char             *field,
                                          gboolean                required,
                                          guint                   max_chars,
                                          const char            **out,
                                          GError                **error);
/* A required token-sized string that must also be a well-formed token:
 * one that cannot exist is @not_found_code without a lookup. */
gboolean    companion_request_get_token  (const CompanionRequest *request,
                                          const char             *field,
                                          gint                    not_found_code,
                                          const char            **out,
                                          GError                **error);

/* A route with COMPANION_ROUTE_DEFER_BODY calls this once the checks that
 * come before the body passed: FALSE with the core's refusal (413, 415,
 * 400) when there was one. */
gboolean    companion_request_check_body (const CompanionRequest *request,
                                          GError                **error);

/* Sets @code with its default message; returns FALSE. */
gboolean    companion_fail               (GError                **error,
                                          gint                    code);
/* Sets an INVALID_REQUEST with a formatted message; returns FALSE. */
gboolean    companion_invalid_request    (GError                **error,
                                          const char             *format,
                                          ...) G_GNUC_PRINTF (2, 3);

G_END_DECLS
