/* test-http.c: every endpoint's answer and every error the companion gives
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "crossing-token.h"

#include "companion-order.h"
#include "companion-test-utils.h"

/* ---- helpers ------------------------------------------------------------- */

static void
setup_closed (CtFixture     *f,
              gconstpointer  data)
{
  ct_fixture_init (f);
  f->config->registration_open = FALSE;
  ct_fixture_start (f);
}

static void
setup_trusted (CtFixture     *f,
               gconstpointer  data)
{
  static const char *origins[] = { "https://app.example.org", NULL };

  ct_fixture_init (f);
  f->config->trusted_origins = g_strdupv ((char **) origins);
  ct_fixture_start (f);
}

static void
setup_metrics (CtFixture     *f,
               gconstpointer  data)
{
  ct_fixture_init (f);
  f->config->metrics = TRUE;
  f->config->trust_proxy = GPOINTER_TO_INT (data);
  ct_fixture_start (f);
}

static char *
iso8601_ms (gint64 epoch_ms)
{
  g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc (epoch_ms / 1000);
  g_autofree char *seconds = g_date_time_format (dt, "%Y-%m-%dT%H:%M:%S");

  return g_strdup_printf ("%s.%03dZ", seconds, (int) (epoch_ms % 1000));
}

static gboolean
is_url_safe_token (const char *token,
                   gsize       min_chars)
{
  gsize len = strlen (token);

  for (const char *p = token; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && *p != '-' && *p != '_')
      return FALSE;
  return len >= min_chars;
}

/* A code the desktop does not show. */
static const char *
wrong_code (const char *code)
{
  return g_strcmp0 (code, "42") == 0 ? "24" : "42";
}

static CtResponse *
post_with_origin (CtFixture  *f,
                  const char *endpoint,
                  const char *origin,
                  const char *json)
{
  g_autoptr(SoupMessage) msg = ct_message_new_post (f, endpoint, "application/json", json, -1);

  soup_message_headers_replace (soup_message_get_request_headers (msg), "Origin", origin);
  return ct_send (f, msg);
}

static CtResponse *
approve_with (CtFixture  *f,
              CtOrder    *order,
              const char *check_code,
              const char *public_key_hex,
              const char *signature_hex)
{
  return ct_post_printf (f, "approve",
                         "{\"orderId\":\"%s\",\"challengeToken\":\"%s\",\"checkCode\":\"%s\","
                         "\"proof\":{\"publicKeyHex\":\"%s\",\"signatureHex\":\"%s\"}}",
                         order->order_id, order->challenge_token, check_code, public_key_hex,
                         signature_hex);
}

/* Claimed, code read, challenge fetched and signed: ready to approve. */
static CtOrder *
order_waiting (CtFixture  *f,
               const char *kind,
               const char *extra)
{
  CtOrder *order = ct_order_start (f, kind, extra);
  g_autoptr(JsonNode) envelope = NULL;

  ct_order_claim (f, order);
  ct_order_read_check_code (f, order);
  envelope = ct_order_challenge (f, order);
  ct_order_sign (order);
  return order;
}

static void
assert_member_types (JsonObject *object,
                     const char *const *strings,
                     guint       n_members)
{
  for (guint i = 0; strings[i] != NULL; i++)
    ct_json_string (object, strings[i]);
  g_assert_cmpuint (json_object_get_size (object), ==, n_members);
}

/* An order put straight into the store whose time ran out a minute ago:
 * the clock, not the timer, must decide. */
static char *
insert_past_order (CtFixture  *f,
                   char      **out_claim_token,
                   char      **out_desktop_token)
{
  g_autoptr(CompanionOrder) order = companion_order_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *claim = crossing_token_new (CROSSING_TOKEN_BYTES);
  g_autofree char *desktop = crossing_token_new (CROSSING_TOKEN_BYTES);
  gint64 now = g_get_real_time () / 1000;

  order->id = crossing_token_new (CROSSING_ORDER_ID_BYTES);
  order->kind = CROSSING_KIND_LOGIN;
  order->adapter = CROSSING_ADAPTER_ED25519;
  order->status = CROSSING_STATUS_CREATED;
  order->claim_token_hash = crossing_token_hash (claim);
  order->desktop_token_hash = crossing_token_hash (desktop);
  order->event_token_hash = crossing_token_hash (desktop);
  order->origin = g_strdup (f->url);
  order->title = g_strdup ("Crossing login");
  order->summary = g_strdup ("Approve login for Crossing.");
  order->app_name = g_strdup ("Crossing");
  order->challenge_id = crossing_token_new (CROSSING_ORDER_ID_BYTES);
  order->nonce = crossing_token_new (CROSSING_TOKEN_BYTES);
  order->requester_ip = g_strdup ("127.0.0.1");
  order->requester_user_agent = g_strdup ("test");
  order->created_at = now - 180000;
  order->issued_at = now - 180000;
  order->expires_at = now - 60000;
  order->message = companion_order_build_message (order);

  companion_store_insert_order (ct_fixture_get_store (f), order, &error);
  g_assert_no_error (error);
  *out_claim_token = g_steal_pointer (&claim);
  *out_desktop_token = g_steal_pointer (&desktop);
  return g_strdup (order->id);
}

/* ---- success shapes ------------------------------------------------------ */

static void
test_start_shape (CtFixture     *f,
                  gconstpointer  data)
{
  static const char *strings[] = {
    "orderId", "adapterId", "kind", "status", "claimToken", "claimUrl", "eventToken",
    "desktopToken", NULL,
  };
  g_autoptr(CtResponse) response = NULL;
  g_autofree char *claim_url = NULL;
  gint64 before = g_get_real_time () / 1000;
  gint64 expires_at;
  JsonObject *o;

  response = ct_post (f, "start", "{\"kind\":\"login\",\"unknownField\":[1,2]}");
  g_assert_cmpuint (response->status, ==, 200);
  g_assert_cmpstr (soup_message_headers_get_content_type (response->headers, NULL), ==,
                   "application/json");
  o = ct_response_object (response);
  assert_member_types (o, strings, 9);

  g_assert_cmpstr (ct_json_string (o, "adapterId"), ==, "ed25519");
  g_assert_cmpstr (ct_json_string (o, "kind"), ==, "login");
  g_assert_cmpstr (ct_json_string (o, "status"), ==, "created");

  /* 128 bits for the ID and 192 for the tokens, URL-safe. */
  g_assert_true (is_url_safe_token (ct_json_string (o, "orderId"), 22));
  g_assert_true (is_url_safe_token (ct_json_string (o, "claimToken"), 32));
  g_assert_true (is_url_safe_token (ct_json_string (o, "eventToken"), 32));
  g_assert_true (is_url_safe_token (ct_json_string (o, "desktopToken"), 32));
  g_assert_cmpstr (ct_json_string (o, "claimToken"), !=, ct_json_string (o, "eventToken"));
  g_assert_cmpstr (ct_json_string (o, "claimToken"), !=, ct_json_string (o, "desktopToken"));
  g_assert_cmpstr (ct_json_string (o, "eventToken"), !=, ct_json_string (o, "desktopToken"));

  claim_url = g_strdup_printf ("%s/cross-device/claim/%s?token=%s", f->url,
                               ct_json_string (o, "orderId"), ct_json_string (o, "claimToken"));
  g_assert_cmpstr (ct_json_string (o, "claimUrl"), ==, claim_url);

  expires_at = ct_json_int (o, "expiresAt");
  g_assert_cmpint (expires_at, >=, before + 120000);
  g_assert_cmpint (expires_at, <=, g_get_real_time () / 1000 + 120000);
}

static void
test_start_kinds_and_adapters (CtFixture     *f,
                               gconstpointer  data)
{
  static const char *kinds[] = { "login", "sign", "transaction" };

  for (guint i = 0; i < G_N_ELEMENTS (kinds); i++)
    {
      g_autoptr(CtOrder) order = ct_order_start (f, kinds[i], "\"adapterId\":\"nimiq-pay\"");

      g_assert_cmpstr (order->kind, ==, kinds[i]);
      g_assert_cmpstr (order->adapter_id, ==, "nimiq-pay");
    }
}

static void
test_claim_shape (CtFixture     *f,
                  gconstpointer  data)
{
  static const char *strings[] = { "orderId", "status", "challengeToken", NULL };
  g_autoptr(CtOrder) order = ct_order_start (f, "login", NULL);
  g_autoptr(CtResponse) response = NULL;
  JsonObject *o;

  response = ct_post_printf (f, "claim", "{\"orderId\":\"%s\",\"claimToken\":\"%s\"}",
                             order->order_id, order->claim_token);
  g_assert_cmpuint (response->status, ==, 200);
  o = ct_response_object (response);
  assert_member_types (o, strings, 4);
  g_assert_true (ct_json_bool (o, "ok"));
  g_assert_cmpstr (ct_json_string (o, "orderId"), ==, order->order_id);
  g_assert_cmpstr (ct_json_string (o, "status"), ==, "claimed");
  g_assert_true (is_url_safe_token (ct_json_string (o, "challengeToken"), 32));
}

/* The message, line by line, from the contract and the envelope's fields. */
static void
assert_message_format (CtFixture  *f,
                       JsonObject *env,
                       const char *action,
                       const char *resource,
                       const char *payload_hash)
{
  JsonObject *display = ct_json_object (env, "display");
  g_autofree char *issued = iso8601_ms (ct_json_int (env, "issuedAt"));
  g_autofree char *expires = iso8601_ms (ct_json_int (env, "expiresAt"));
  g_autoptr(GString) expected = g_string_new (NULL);

  g_string_append_printf (expected, "%s requests cross-device approval\n",
                          ct_json_string (env, "appName"));
  g_string_append_printf (expected, "Action: %s\n", action);
  g_string_append_printf (expected, "Origin: %s\n", f->url);
  g_string_append_printf (expected, "Challenge ID: %s\n", ct_json_string (env, "challengeId"));
  g_string_append_printf (expected, "Nonce: %s\n", ct_json_string (env, "nonce"));
  g_string_append_printf (expected, "Issued At: %s\n", issued);
  g_string_append_printf (expected, "Expires At: %s\n", expires);
  g_string_append_printf (expected, "Request ID: %s\n", ct_json_string (env, "orderId"));
  g_string_append_printf (expected, "Resource: %s\n", resource);
  if (payload_hash != NULL)
    g_string_append_printf (expected, "Payload Hash: %s\n", payload_hash);
  g_string_append_printf (expected, "kind: %s\n", ct_json_string (env, "kind"));
  g_string_append_printf (expected, "orderId: %s\n", ct_json_string (env, "orderId"));
  g_string_append_printf (expected, "summary: %s\n", ct_json_string (display, "summary"));
  g_string_append_printf (expected, "title: %s", ct_json_string (display, "title"));

  g_assert_cmpstr (ct_json_string (env, "message"), ==, expected->str);
}

static void
test_challenge_envelope_login (CtFixture     *f,
                               gconstpointer  data)
{
  g_autoptr(CtOrder) order = ct_order_start (f, "login", NULL);
  g_autoptr(JsonNode) envelope = NULL;
  g_autoptr(JsonNode) again = NULL;
  JsonObject *env, *display, *details, *requester;

  ct_order_claim (f, order);
  envelope = ct_order_challenge (f, order);
  env = json_node_get_object (envelope);

  g_assert_cmpstr (ct_json_string (env, "orderId"), ==, order->order_id);
  g_assert_cmpstr (ct_json_string (env, "adapterId"), ==, "ed25519");
  g_assert_cmpstr (ct_json_string (env, "status"), ==, "waiting_user");
  g_assert_cmpstr (ct_json_string (env, "action"), ==, "auth.login");
  g_assert_true (is_url_safe_token (ct_json_string (env, "challengeId"), 16));
  g_assert_cmpstr (ct_json_string (env, "kind"), ==, "login");
  g_assert_cmpstr (ct_json_string (env, "origin"), ==, f->url);
  g_assert_true (is_url_safe_token (ct_json_string (env, "nonce"), 32));
  g_assert_cmpint (ct_json_int (env, "issuedAt"), <=, g_get_real_time () / 1000);
  g_assert_cmpint (ct_json_int (env, "expiresAt"), ==, order->expires_at);
  g_assert_cmpint (ct_json_int (env, "expiresAt") - ct_json_int (env, "issuedAt"), ==, 120000);
  /* The contract names exp but not its unit: only its type is checked. */
  ct_json_int (env, "exp");
  display = ct_json_object (env, "display");
  g_assert_cmpstr (ct_json_string (display, "title"), ==, "Crossing login");
  g_assert_cmpstr (ct_json_string (display, "summary"), ==, "Approve login for Crossing.");
  g_assert_false (json_object_has_member (env, "payloadHash"));
  g_assert_cmpstr (ct_json_string (env, "requestId"), ==, order->order_id);
  g_assert_cmpstr (ct_json_string (env, "resource"), ==, "/");
  details = ct_json_object (env, "details");
  g_assert_cmpstr (ct_json_string (details, "kind"), ==, "login");
  g_assert_cmpstr (ct_json_string (details, "orderId"), ==, order->order_id);
  g_assert_cmpstr (ct_json_string (details, "title"), ==, "Crossing login");
  g_assert_cmpstr (ct_json_string (details, "summary"), ==, "Approve login for Crossing.");
  g_assert_cmpstr (ct_json_string (env, "appName"), ==, "Crossing");
  requester = ct_json_object (env, "requester");
  g_assert_cmpstr (ct_json_string (requester, "ip"), ==, "127.0.0.1");
  g_assert_cmpstr (ct_json_string (requester, "userAgent"), ==, "crossing-test/1");
  g_assert_true (ct_json_bool (env, "checkCodeRequired"));

  assert_message_format (f, env, "auth.login", "/", NULL);

  /* A reload on the phone reads the same challenge. */
  again = ct_order_challenge (f, order);
  g_assert_cmpstr (ct_json_string (json_node_get_object (again), "message"), ==,
                   ct_json_string (env, "message"));
}

static void
test_challenge_envelope_sign_with_payload (CtFixture     *f,
                                           gconstpointer  data)
{
  static const char hash[] = "n4bQgYhMfWWaL-qgxVrQFaO_TxsrC4Is0V1sFbDwCgg";
  g_autoptr(CtOrder) order = NULL;
  g_autoptr(JsonNode) envelope = NULL;
  g_autofree char *extra = NULL;
  JsonObject *env, *display;

  extra = g_strdup_printf ("\"returnTo\":\"/docs/7?x=1\",\"displayTitle\":\"Sign the lease\","
                           "\"displaySummary\":\"Flat 3 for 12 months\",\"payloadHash\":\"%s\"",
                           hash);
  order = ct_order_start (f, "sign", extra);
  ct_order_claim (f, order);
  envelope = ct_order_challenge (f, order);
  env = json_node_get_object (envelope);

  g_assert_cmpstr (ct_json_string (env, "action"), ==, "order.approve");
  g_assert_cmpstr (ct_json_string (env, "payloadHash"), ==, hash);
  g_assert_cmpstr (ct_json_string (env, "resource"), ==, "/docs/7?x=1");
  display = ct_json_object (env, "display");
  g_assert_cmpstr (ct_json_string (display, "title"), ==, "Sign the lease");
  g_assert_cmpstr (ct_json_string (display, "summary"), ==, "Flat 3 for 12 months");
  assert_message_format (f, env, "order.approve", "/docs/7?x=1", hash);
}

static void
test_default_titles (CtFixture     *f,
                     gconstpointer  data)
{
  static const struct { const char *kind, *title, *summary; } cases[] = {
    { "sign", "Crossing signature", "Approve signature for Crossing." },
    { "transaction", "Crossing transaction", "Approve transaction for Crossing." },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(CtOrder) order = ct_order_start (f, cases[i].kind, NULL);
      g_autoptr(JsonNode) envelope = NULL;
      JsonObject *display;

      ct_order_claim (f, order);
      envelope = ct_order_challenge (f, order);
      display = ct_json_object (json_node_get_object (envelope), "display");
      g_assert_cmpstr (ct_json_string (display, "title"), ==, cases[i].title);
      g_assert_cmpstr (ct_json_string (display, "summary"), ==, cases[i].summary);
    }
}

static void
test_reject_and_cancel_shapes (CtFixture     *f,
                               gconstpointer  data)
{
  g_autoptr(CtOrder) rejected = ct_order_start (f, "login", NULL);
  g_autoptr(CtOrder) cancelled = ct_order_start (f, "login", NULL);
  g_autoptr(CtResponse) r1 = NULL;
  g_autoptr(CtResponse) r2 = NULL;
  JsonObject *o;

  ct_order_claim (f, rejected);
  r1 = ct_post_printf (f, "reject", "{\"orderId\":\"%s\",\"challengeToken\":\"%s\"}",
                       rejected->order_id, rejected->challenge_token);
  g_assert_cmpuint (r1->status, ==, 200);
  o = ct_response_object (r1);
  g_assert_cmpuint (json_object_get_size (o), ==, 3);
  g_assert_true (ct_json_bool (o, "ok"));
  g_assert_cmpstr (ct_json_string (o, "orderId"), ==, rejected->order_id);
  g_assert_cmpstr (ct_json_string (o, "status"), ==, "rejected");

  r2 = ct_post_printf (f, "cancel", "{\"orderId\":\"%s\",\"desktopToken\":\"%s\"}",
                       cancelled->order_id, cancelled->desktop_token);
  g_assert_cmpuint (r2->status, ==, 200);
  o = ct_response_object (r2);
  g_assert_cmpuint (json_object_get_size (o), ==, 3);
  g_assert_true (ct_json_bool (o, "ok"));
  g_assert_cmpstr (ct_json_string (o, "orderId"), ==, cancelled->order_id);
  g_assert_cmpstr (ct_json_string (o, "status"), ==, "cancelled");
}

static void
test_cancel_from_every_pending_state (CtFixture     *f,
                                      gconstpointer  data)
{
  for (guint steps = 0; steps < 3; steps++)
    {
      g_autoptr(CtOrder) order = ct_order_start (f, "login", NULL);
      g_autoptr(CtResponse) response = NULL;
      g_autoptr(JsonNode) envelope = NULL;

      if (steps >= 1)
        ct_order_claim (f, order);
      if (steps >= 2)
        envelope = ct_order_challenge (f, order);
      response = ct_post_printf (f, "cancel", "{\"orderId\":\"%s\",\"desktopToken\":\"%s\"}",
                                 order->order_id, order->desktop_token);
      g_assert_cmpuint (response->status, ==, 200);
    }
}

static const char *
find_cookie (SoupMessageHeaders *headers)
{
  SoupMessageHeadersIter iter;
  const char *name, *value;

  soup_message_headers_iter_init (&iter, headers);
  while (soup_message_headers_iter_next (&iter, &name, &value))
    if (g_ascii_strcasecmp (name, "Set-Cookie") == 0 &&
        g_str_has_prefix (value, "crossing.session_token="))
      return value;
  return NULL;
}

static void
test_finalize_login (CtFixture     *f,
                     gconstpointer  data)
{
  g_autoptr(CtOrder) order = ct_order_start (f, "login", "\"returnTo\":\"/home\"");
  g_autoptr(CtResponse) response = NULL;
  g_autofree char *cookie_prefix = NULL;
  g_auto(GStrv) attributes = NULL;
  const char *token, *cookie;
  JsonObject *o;

  ct_order_approve (f, order);
  response = ct_order_finalize (f, order);
  g_assert_cmpuint (response->status, ==, 200);
  o = ct_response_object (response);
  g_assert_cmpuint (json_object_get_size (o), ==, 6);
  g_assert_true (ct_json_bool (o, "ok"));
  g_assert_cmpstr (ct_json_string (o, "orderId"), ==, order->order_id);
  g_assert_cmpstr (ct_json_string (o, "status"), ==, "finalized");
  g_assert_cmpstr (ct_json_string (o, "kind"), ==, "login");
  g_assert_cmpstr (ct_json_string (o, "redirectTo"), ==, "/home");
  token = ct_json_string (o, "token");
  /* 256 bits, URL-safe base64 */
  g_assert_true (is_url_safe_token (token, 43));

  g_assert_cmpstr (soup_message_headers_get_one (response->headers, "set-auth-token"), ==, token);

  cookie = find_cookie (response->headers);
  g_assert_nonnull (cookie);
  attributes = g_strsplit (cookie, ";", -1);
  cookie_prefix = g_strdup_printf ("crossing.session_token=%s", token);
  g_assert_cmpstr (g_strstrip (attributes[0]), ==, cookie_prefix);
  /* Attribute names are case-insensitive (RFC 6265, 5.2). */
  for (guint i = 1; attributes[i] != NULL; i++)
    {
      g_strstrip (attributes[i]);
      if (g_ascii_strncasecmp (attributes[i], "expires=", 8) != 0)
        {
          char *lower = g_ascii_strdown (attributes[i], -1);

          g_free (attributes[i]);
          attributes[i] = lower;
        }
    }
  g_assert_true (g_strv_contains ((const char * const *) attributes, "httponly"));
  g_assert_true (g_strv_contains ((const char * const *) attributes, "samesite=lax"));
  g_assert_true (g_strv_contains ((const char * const *) attributes, "path=/"));
  /* Plain http on loopback: Secure would make browsers drop it. */
  g_assert_false (g_strv_contains ((const char * const *) attributes, "Secure"));
}

static CtResponse *
get_session (CtFixture  *f,
             const char *header,
             const char *value)
{
  g_autoptr(SoupMessage) msg = ct_message_new (f, SOUP_METHOD_GET, "/api/auth/get-session");

  if (header != NULL)
    soup_message_headers_replace (soup_message_get_request_headers (msg), header, value);
  return ct_send (f, msg);
}

/* "2026-12-02T10:00:00.000Z" exactly, as epoch ms. */
static gint64
iso_ms (JsonObject *object,
        const char *member)
{
  const char *text = ct_json_string (object, member);
  g_autoptr(GDateTime) time = NULL;
  g_autofree char *again = NULL;
  gint64 ms;

  g_assert_true (g_regex_match_simple ("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}"
                                       "\\.[0-9]{3}Z$", text, 0, 0));
  time = g_date_time_new_from_iso8601 (text, NULL);
  g_assert_nonnull (time);
  ms = g_date_time_to_unix (time) * 1000 + g_date_time_get_microsecond (time) / 1000;
  again = crossing_format_iso8601_ms (ms);
  g_assert_cmpstr (again, ==, text);
  return ms;
}

static void
assert_member_null (JsonObject *object,
                    const char *member)
{
  g_assert_true (json_object_has_member (object, member));
  g_assert_true (JSON_NODE_HOLDS_NULL (json_object_get_member (object, member)));
}

static void
assert_members (JsonObject         *object,
                const char * const *members)
{
  guint n = 0;

  for (; members[n] != NULL; n++)
    g_assert_true (json_object_has_member (object, members[n]));
  g_assert_cmpuint (json_object_get_size (object), ==, n);
}

/* Better Auth's shapes, exactly (PROTOCOL.md "Sessions"), for a session this
 * suite's client made (User-Agent crossing-test/1, from 127.0.0.1). */
static void
assert_session_full (CtResponse *response,
                     const char *subject,
                     const char *name,
                     const char *role)
{
  static const char * const session_members[] = {
    "id", "userId", "expiresAt", "createdAt", "updatedAt", "ipAddress", "userAgent", NULL
  };
  static const char * const user_members[] = {
    "id", "name", "email", "emailVerified", "image", "createdAt", "updatedAt", "subject", "role",
    NULL
  };
  JsonObject *o, *session, *user;
  gint64 now = crossing_now_ms ();

  g_assert_cmpuint (response->status, ==, 200);
  o = ct_response_object (response);
  g_assert_cmpuint (json_object_get_size (o), ==, 2);
  session = ct_json_object (o, "session");
  user = ct_json_object (o, "user");
  assert_members (session, session_members);
  assert_members (user, user_members);

  g_assert_true (is_url_safe_token (ct_json_string (session, "id"), 22));
  g_assert_cmpstr (ct_json_string (session, "userId"), ==, ct_json_string (user, "id"));
  g_assert_cmpint (iso_ms (session, "expiresAt") - iso_ms (session, "createdAt"), ==,
                   7 * 24 * 3600 * 1000LL);
  g_assert_cmpint (iso_ms (session, "updatedAt"), ==, iso_ms (session, "createdAt"));
  g_assert_cmpint (iso_ms (session, "createdAt"), <=, now);
  g_assert_cmpint (iso_ms (session, "createdAt"), >, now - 60 * 1000);
  g_assert_cmpstr (ct_json_string (session, "ipAddress"), ==, "127.0.0.1");
  g_assert_cmpstr (ct_json_string (session, "userAgent"), ==, "crossing-test/1");

  g_assert_cmpstr (ct_json_string (user, "name"), ==, name);
  assert_member_null (user, "email");
  g_assert_false (ct_json_bool (user, "emailVerified"));
  assert_member_null (user, "image");
  g_assert_cmpint (iso_ms (user, "createdAt"), <=, iso_ms (session, "createdAt"));
  g_assert_cmpint (iso_ms (user, "updatedAt"), >=, iso_ms (user, "createdAt"));
  g_assert_cmpstr (ct_json_string (user, "subject"), ==, subject);
  g_assert_cmpstr (ct_json_string (user, "role"), ==, role);
}

/* A user the login created: no name given, so the subject's short form. */
static void
assert_session (CtResponse *response,
                const char *subject)
{
  g_autofree char *name = NULL;

  if (g_str_has_prefix (subject, "ed25519:"))
    name = g_strndup (subject, strlen ("ed25519:") + 16);
  else
    name = g_strdup (subject);
  assert_session_full (response, subject, name, "user");
}

static void
assert_null_session (CtResponse *response)
{
  g_assert_cmpuint (response->status, ==, 200);
  g_assert_nonnull (response->json);
  g_assert_true (JSON_NODE_HOLDS_NULL (response->json));
}

static void
test_session_bearer_cookie_sign_out (CtFixture     *f,
                                     gconstpointer  data)
{
  g_autoptr(CtOrder) order = ct_order_start (f, "login", NULL);
  g_autoptr(CtResponse) finalized = NULL;
  g_autoptr(CtResponse) by_bearer = NULL;
  g_autoptr(CtResponse) by_cookie = NULL;
  g_autoptr(CtResponse) anonymous = NULL;
  g_autoptr(CtResponse) signed_out = NULL;
  g_autoptr(CtResponse) after_bearer = NULL;
  g_autoptr(CtResponse) after_cookie = NULL;
  g_autoptr(SoupMessage) sign_out = NULL;
  g_autofree char *subject = ct_ed25519_subject (order->seed);
  g_autofree char *bearer = NULL;
  g_autofree char *cookie = NULL;

  ct_order_approve (f, order);
  finalized = ct_order_finalize (f, order);
  g_assert_cmpuint (finalized->status, ==, 200);
  bearer = g_strdup_printf ("Bearer %s", ct_json_string (ct_response_object (finalized), "token"));
  cookie = g_strdup_printf ("other=1; crossing.session_token=%s",
                            ct_json_string (ct_response_object (finalized), "token"));

  by_bearer = get_session (f, "Authorization", bearer);
  assert_session (by_bearer, subject);
  by_cookie = get_session (f, "Cookie", cookie);
  assert_session (by_cookie, subject);
  anonymous = get_session (f, NULL, NULL);
  assert_null_session (anonymous);

  sign_out = ct_message_new (f, SOUP_METHOD_POST, "/api/auth/sign-out");
  soup_message_headers_replace (soup_message_get_request_headers (sign_out), "Authorization",
                                bearer);
  signed_out = ct_send (f, sign_out);
  g_assert_cmpuint (signed_out->status, ==, 200);
  g_assert_true (ct_json_bool (ct_response_object (signed_out), "success"));
  g_assert_cmpuint (json_object_get_size (ct_response_object (signed_out)), ==, 1);

  after_bearer = get_session (f, "Authorization", bearer);
  assert_null_session (after_bearer);
  after_cookie = get_session (f, "Cookie", cookie);
  assert_null_session (after_cookie);
}

/* A user the operator added with a name and the admin role. */
static void
test_session_named_admin (CtFixture     *f,
                          gconstpointer  data)
{
  g_autoptr(CtOrder) order = ct_order_start (f, "login", NULL);
  g_autoptr(CtResponse) finalized = NULL;
  g_autoptr(CtResponse) session = NULL;
  g_autofree char *subject = ct_ed25519_subject (order->seed);
  g_autofree char *bearer = NULL;
  g_autoptr(GError) error = NULL;
  CompanionUser user = {
    .id = (char *) "operator-added-user",
    .subject = subject,
    .name = (char *) "Ada Lovelace",
    .role = COMPANION_ROLE_ADMIN,
    .created_at = crossing_now_ms () - 1000,
  };

  g_assert_true (companion_store_add_user (ct_fixture_get_store (f), &user, &error));
  g_assert_no_error (error);

  ct_order_approve (f, order);
  finalized = ct_order_finalize (f, order);
  g_assert_cmpuint (finalized->status, ==, 200);
  bearer = g_strdup_printf ("Bearer %s", ct_json_string (ct_response_object (finalized), "token"));
  session = get_session (f, "Authorization", bearer);
  assert_session_full (session, subject, "Ada Lovelace", "admin");
  g_assert_cmpstr (ct_json_string (ct_json_object (ct_response_object (session), "user"), "id"),
                   ==, "operator-added-user");
}

static void
test_session_garbage_token_is_null (CtFixture     *f,
                                    gconstpointer  data)
{
  g_autoptr(CtResponse) wrong = get_session (f, "Authorization",
                                             "Bearer AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
  g_autoptr(CtResponse) malformed = get_session (f, "Authorization", "Bearer !!!");

  assert_null_session (wrong);
  assert_null_session (malformed);
}

static void
test_finalize_sign_proof_artifact (CtFixture     *f,
                                   gconstpointer  data)
{
  g_autoptr(CtOrder) order = ct_order_start (f, "sign", "\"returnTo\":\"/signed\"");
  g_autoptr(CtResponse) first = NULL;
  g_autoptr(CtResponse) second = NULL;
  g_autofree char *subject = ct_ed25519_subject (order->seed);
  g_autofree char *first_text = NULL;
  g_autofree char *second_text = NULL;
  JsonObject *o, *artifact;

  ct_order_approve (f, order);
  first = ct_order_finalize (f, order);
  g_assert_cmpuint (first->status, ==, 200);
  o = ct_response_object (first);
  g_assert_cmpuint (json_object_get_size (o), ==, 6);
  g_assert_true (ct_json_bool (o, "ok"));
  g_assert_cmpstr (ct_json_string (o, "orderId"), ==, order->order_id);
  g_assert_cmpstr (ct_json_string (o, "status"), ==, "finalized");
  g_assert_cmpstr (ct_json_string (o, "kind"), ==, "sign");
  g_assert_cmpstr (ct_json_string (o, "redirectTo"), ==, "/signed");
  g_assert_false (json_object_has_member (o, "token"));
  g_assert_null (soup_message_headers_get_one (first->headers, "set-auth-token"));
  g_assert_null (find_cookie (first->headers));

  artifact = ct_json_object (o, "proofArtifact");
  g_assert_cmpuint (json_object_get_size (artifact), ==, 5);
  g_assert_cmpstr (ct_json_string (artifact, "adapterId"), ==, "ed25519");
  g_assert_cmpstr (ct_json_string (artifact, "subject"), ==, subject);
  g_assert_cmpstr (ct_json_string (artifact, "publicKeyHex"), ==, order->public_key_hex);
  g_assert_cmpstr (ct_json_string (artifact, "signatureHex"), ==, order->signature_hex);
  g_assert_cmpstr (ct_json_string (artifact, "message"), ==, order->message);

  second = ct_order_finalize (f, order);
  g_assert_cmpuint (second->status, ==, 200);
  first_text = json_to_string (first->json, FALSE);
  second_text = json_to_string (second->json, FALSE);
  g_assert_cmpstr (first_text, ==, second_text);
}

static void
test_finalize_transaction_proof_artifact (CtFixture     *f,
                                          gconstpointer  data)
{
  g_autoptr(CtOrder) order = ct_order_start (f, "transaction", NULL);
  g_autoptr(CtResponse) response = NULL;
  JsonObject *o;

  ct_order_approve (f, order);
  response = ct_order_finalize (f, order);
  g_assert_cmpuint (response->status, ==, 200);
  o = ct_response_object (response);
  g_assert_cmpstr (ct_json_string (o, "kind"), ==, "transaction");
  g_assert_cmpstr (ct_json_string (o, "redirectTo"), ==, "/");
  g_assert_cmpstr (ct_json_string (ct_json_object (o, "proofArtifact"), "signatureHex"), ==,
                   order->signature_hex);
}

/* The contract's vector: this key is NQ71 CT4K 7R9R EHSB 7HY9 TSTP XNRQ L2RK 8U4U. */
static const guint8 nimiq_seed[32] = {
  0x68, 0x2d, 0xf0, 0x35, 0xc3, 0x0e, 0x8c, 0x55, 0xbd, 0xa4, 0xab, 0x51, 0x72, 0x13, 0x79, 0x2c,
  0x2a, 0xf4, 0xb4, 0xe9, 0xc2, 0x3a, 0xc2, 0xcf, 0x11, 0xbd, 0x28, 0xb2, 0x37, 0xa6, 0x54, 0x4e,
};
#define NIMIQ_ADDRESS "NQ71 CT4K 7R9R EHSB 7HY9 TSTP XNRQ L2RK 8U4U"
#define NIMIQ_PUBLIC_KEY "0a9b55420d3664996800f1d48f5683ced9b6666fd7d09e61641826f177350980"

static void
test_nimiq_pay_login (CtFixture     *f,
                      gconstpointer  data)
{
  g_autoptr(CtOrder) order = ct_order_start (f, "login", "\"adapterId\":\"nimiq-pay\"");
  g_autoptr(CtResponse) finalized = NULL;
  g_autoptr(CtResponse) session = NULL;
  g_autofree char *bearer = NULL;

  memcpy (order->seed, nimiq_seed, sizeof nimiq_seed);
  ct_order_approve (f, order);
  g_assert_cmpstr (order->public_key_hex, ==, NIMIQ_PUBLIC_KEY);

  finalized = ct_order_finalize (f, order);
  g_assert_cmpuint (finalized->status, ==, 200);
  bearer = g_strdup_printf ("Bearer %s", ct_json_string (ct_response_object (finalized), "token"));
  session = get_session (f, "Authorization", bearer);
  assert_session (session, NIMIQ_ADDRESS);
}

#define APPROVE_WITH_ADDRESS \
  "{\"orderId\":\"%s\",\"challengeToken\":\"%s\",\"checkCode\":\"%s\"," \
  "\"proof\":{\"publicKeyHex\":\"%s\",\"signatureHex\":\"%s\",\"address\":\"%s\"}}"

static void
test_nimiq_pay_sign_artifact_and_address (CtFixture     *f,
                                          gconstpointer  data)
{
  g_autoptr(CtOrder) order = order_waiting (f, "sign", "\"adapterId\":\"nimiq-pay\"");
  g_autoptr(CtResponse) wrong_address = NULL;
  g_autoptr(CtResponse) approved = NULL;
  g_autoptr(CtResponse) finalized = NULL;
  JsonObject *artifact;

  memcpy (order->seed, nimiq_seed, sizeof nimiq_seed);
  ct_order_sign (order);

  /* A proof naming another address is not this signer's. */
  wrong_address = ct_post_printf (f, "approve", APPROVE_WITH_ADDRESS, order->order_id,
                                  order->challenge_token, order->check_code,
                                  order->public_key_hex, order->signature_hex,
                                  "NQ07 0000 0000 0000 0000 0000 0000 0000 0000");
  ct_response_assert_error (wrong_address, 401, "INVALID_PROOF");

  approved = ct_post_printf (f, "approve", APPROVE_WITH_ADDRESS, order->order_id,
                             order->challenge_token, order->check_code, order->public_key_hex,
                             order->signature_hex,
                             NIMIQ_ADDRESS);
  g_assert_cmpuint (approved->status, ==, 200);

  finalized = ct_order_finalize (f, order);
  g_assert_cmpuint (finalized->status, ==, 200);
  artifact = ct_json_object (ct_response_object (finalized), "proofArtifact");
  g_assert_cmpstr (ct_json_string (artifact, "adapterId"), ==, "nimiq-pay");
  g_assert_cmpstr (ct_json_string (artifact, "subject"), ==, NIMIQ_ADDRESS);
  g_assert_cmpstr (ct_json_string (artifact, "publicKeyHex"), ==, NIMIQ_PUBLIC_KEY);
}

/* An ed25519 signature is not a nimiq-pay one: the adapter decides. */
static void
test_nimiq_pay_refuses_plain_signature (CtFixture     *f,
                                        gconstpointer  data)
{
  g_autoptr(CtOrder) order = order_waiting (f, "login", "\"adapterId\":\"nimiq-pay\"");
  g_autoptr(CtResponse) response = NULL;
  g_autofree char *pk = NULL;
  g_autofree char *sig = NULL;

  crossing_proof_sign (CROSSING_ADAPTER_ED25519, order->message, order->seed, &pk, &sig);
  response = approve_with (f, order, order->check_code, pk, sig);
  ct_response_assert_error (response, 401, "INVALID_PROOF");
}

/* ---- INVALID_REQUEST ------------------------------------------------------ */

static void
test_invalid_request_bodies (CtFixture     *f,
                             gconstpointer  data)
{
  static const struct { const char *endpoint, *body; } cases[] = {
    { "start", "{\"kind\":" },                          /* malformed */
    { "start", "{\"kind\":\"login\"} trailing" },
    { "start", "[\"login\"]" },                         /* not an object */
    { "start", "\"login\"" },
    { "start", "{}" },                                  /* missing */
    { "start", "{\"kind\":null}" },
    { "start", "{\"kind\":1}" },                        /* wrong type */
    { "start", "{\"kind\":\"login\",\"displayTitle\":[]}" },
    { "start", "{\"kind\":\"login\",\"returnTo\":false}" },
    { "start", "{\"kind\":\"badge\"}" },                /* not a kind */
    { "start", "{\"kind\":\"login\",\"payloadHash\":\"not a hash!\"}" },
    { "claim", "{\"orderId\":\"abc\"}" },
    { "claim", "{\"claimToken\":\"abc\"}" },
    { "claim", "{\"orderId\":7,\"claimToken\":\"abc\"}" },
    { "challenge", "{\"orderId\":\"abc\"}" },
    { "approve", "{\"orderId\":\"abc\",\"challengeToken\":\"abc\"}" },
    { "approve", "{\"orderId\":\"abc\",\"challengeToken\":\"abc\",\"proof\":\"sig\"}" },
    { "approve", "{\"orderId\":\"abc\",\"challengeToken\":\"abc\",\"proof\":{}}" },
    { "reject", "{}" },
    { "cancel", "{\"orderId\":\"abc\"}" },
    { "finalize", "{\"desktopToken\":\"abc\"}" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(CtResponse) response = ct_post (f, cases[i].endpoint, cases[i].body);

      g_test_message ("%s %s", cases[i].endpoint, cases[i].body);
      ct_response_assert_error (response, 400, "INVALID_REQUEST");
    }
}

static void
test_invalid_request_empty_and_nul (CtFixture     *f,
                                    gconstpointer  data)
{
  static const char with_nul[] = "{\"kind\":\"login\"}\0";
  g_autoptr(SoupMessage) empty = ct_message_new_post (f, "start", "application/json", "", 0);
  g_autoptr(SoupMessage) nul = ct_message_new_post (f, "start", "application/json", with_nul,
                                                    sizeof with_nul - 1);
  g_autoptr(CtResponse) r1 = ct_send (f, empty);
  g_autoptr(CtResponse) r2 = ct_send (f, nul);

  ct_response_assert_error (r1, 400, "INVALID_REQUEST");
  ct_response_assert_error (r2, 400, "INVALID_REQUEST");
}

static void
test_invalid_request_lengths (CtFixture     *f,
                              gconstpointer  data)
{
  static const struct { const char *field; guint max; const char *unit; } fields[] = {
    { "displayTitle", 120, "\xc3\xa9" },   /* characters, not bytes: é is two */
    { "displaySummary", 200, "s" },
    { "payloadHash", 128, "a" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (fields); i++)
    {
      g_autoptr(GString) value = g_string_new (NULL);
      g_autoptr(CtResponse) at_max = NULL;
      g_autoptr(CtResponse) over = NULL;

      for (guint n = 0; n < fields[i].max; n++)
        g_string_append (value, fields[i].unit);
      at_max = ct_post_printf (f, "start", "{\"kind\":\"login\",\"%s\":\"%s\"}", fields[i].field,
                               value->str);
      g_assert_cmpuint (at_max->status, ==, 200);

      g_string_append (value, fields[i].unit);
      over = ct_post_printf (f, "start", "{\"kind\":\"login\",\"%s\":\"%s\"}", fields[i].field,
                             value->str);
      ct_response_assert_error (over, 400, "INVALID_REQUEST");
    }
}

static void
test_invalid_request_control_characters (CtFixture     *f,
                                         gconstpointer  data)
{
  static const char *bodies[] = {
    "{\"kind\":\"login\",\"displayTitle\":\"Hi\\nAction: auth.login\"}",
    "{\"kind\":\"login\",\"displayTitle\":\"tab\\there\"}",
    "{\"kind\":\"login\",\"displayTitle\":\"nul\\u0000\"}",
    "{\"kind\":\"login\",\"displayTitle\":\"del\\u007f\"}",
    "{\"kind\":\"login\",\"displaySummary\":\"cr\\r\"}",
    "{\"kind\":\"login\",\"returnTo\":\"/a\\u001fb\"}",
  };

  g_autoptr(CtOrder) order = NULL;
  g_autoptr(JsonNode) envelope = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (bodies); i++)
    {
      g_autoptr(CtResponse) response = ct_post (f, "start", bodies[i]);

      g_test_message ("%s", bodies[i]);
      ct_response_assert_error (response, 400, "INVALID_REQUEST");
    }

  /* An escaped backslash before "u0000" is plain text, and kept whole. */
  order = ct_order_start (f, "login", "\"displayTitle\":\"path C:\\\\u0000 ok\"");
  ct_order_claim (f, order);
  envelope = ct_order_challenge (f, order);
  g_assert_cmpstr (ct_json_string (ct_json_object (json_node_get_object (envelope), "display"),
                                   "title"), ==, "path C:\\u0000 ok");
}

static void
test_events_query_required (CtFixture     *f,
                            gconstpointer  data)
{
  g_autoptr(CtResponse) response = ct_get (f, "events");

  ct_response_assert_error (response, 400, "INVALID_REQUEST");
}

/* ---- state errors --------------------------------------------------------- */

static void
test_order_expired (CtFixture     *f,
                    gconstpointer  data)
{
  g_autofree char *claim = NULL;
  g_autofree char *desktop = NULL;
  g_autofree char *order_id = insert_past_order (f, &claim, &desktop);
  g_autoptr(CtResponse) claimed = NULL;
  g_autoptr(CtResponse) cancelled = NULL;
  g_autoptr(CtResponse) finalized = NULL;
  g_autoptr(CompanionOrder) stored = NULL;

  claimed = ct_post_printf (f, "claim", "{\"orderId\":\"%s\",\"claimToken\":\"%s\"}", order_id,
                            claim);
  ct_response_assert_error (claimed, 400, "ORDER_EXPIRED");
  cancelled = ct_post_printf (f, "cancel", "{\"orderId\":\"%s\",\"desktopToken\":\"%s\"}",
                              order_id, desktop);
  ct_response_assert_error (cancelled, 400, "ORDER_EXPIRED");
  finalized = ct_post_printf (f, "finalize", "{\"orderId\":\"%s\",\"desktopToken\":\"%s\"}",
                              order_id, desktop);
  ct_response_assert_error (finalized, 400, "ORDER_EXPIRED");

  /* The clock's verdict is written down, not only reported. */
  stored = companion_store_get_order (ct_fixture_get_store (f), order_id, NULL);
  g_assert_nonnull (stored);
  g_assert_cmpint (stored->status, ==, CROSSING_STATUS_EXPIRED);
}

static void
test_not_ready (CtFixture     *f,
                gconstpointer  data)
{
  g_autoptr(CtOrder) fresh = ct_order_start (f, "login", NULL);
  g_autoptr(CtOrder) order = ct_order_start (f, "login", NULL);
  g_autoptr(CtResponse) finalize_created = NULL;
  g_autoptr(CtResponse) finalize_claimed = NULL;
  g_autoptr(CtResponse) approve_again = NULL;
  g_autoptr(CtResponse) challenge_again = NULL;
  g_autoptr(CtResponse) reject = NULL;
  g_autoptr(CtResponse) cancel = NULL;

  finalize_created = ct_order_finalize (f, fresh);
  ct_response_assert_error (finalize_created, 400, "NOT_READY_TO_FINALIZE");
  ct_order_claim (f, fresh);
  finalize_claimed = ct_order_finalize (f, fresh);
  ct_response_assert_error (finalize_claimed, 400, "NOT_READY_TO_FINALIZE");

  ct_order_approve (f, order);
  approve_again = ct_order_send_approve (f, order);
  ct_response_assert_error (approve_again, 400, "NOT_READY_TO_APPROVE");
  challenge_again = ct_post_printf (f, "challenge",
                                    "{\"orderId\":\"%s\",\"challengeToken\":\"%s\"}",
                                    order->order_id, order->challenge_token);
  ct_response_assert_error (challenge_again, 400, "NOT_READY_TO_APPROVE");
  reject = ct_post_printf (f, "reject", "{\"orderId\":\"%s\",\"challengeToken\":\"%s\"}",
                           order->order_id, order->challenge_token);
  ct_response_assert_error (reject, 400, "NOT_READY_TO_REJECT");
  cancel = ct_post_printf (f, "cancel", "{\"orderId\":\"%s\",\"desktopToken\":\"%s\"}",
                           order->order_id, order->desktop_token);
  ct_response_assert_error (cancel, 400, "NOT_READY_TO_CANCEL");
}

static void
test_terminal_conflicts (CtFixture     *f,
                         gconstpointer  data)
{
  g_autoptr(CtOrder) order = ct_order_start (f, "login", NULL);
  g_autoptr(CtOrder) unclaimed = ct_order_start (f, "login", NULL);
  g_autoptr(CtResponse) cancel = NULL;
  g_autoptr(CtResponse) cancel_again = NULL;
  g_autoptr(CtResponse) reject = NULL;
  g_autoptr(CtResponse) approve = NULL;
  g_autoptr(CtResponse) finalize = NULL;
  g_autoptr(CtResponse) cancel_unclaimed = NULL;
  g_autoptr(CtResponse) claim_cancelled = NULL;

  ct_order_claim (f, order);
  ct_order_read_check_code (f, order);
  cancel = ct_post_printf (f, "cancel", "{\"orderId\":\"%s\",\"desktopToken\":\"%s\"}",
                           order->order_id, order->desktop_token);
  g_assert_cmpuint (cancel->status, ==, 200);

  cancel_again = ct_post_printf (f, "cancel", "{\"orderId\":\"%s\",\"desktopToken\":\"%s\"}",
                                 order->order_id, order->desktop_token);
  ct_response_assert_error (cancel_again, 400, "TRANSITION_CONFLICT");
  reject = ct_post_printf (f, "reject", "{\"orderId\":\"%s\",\"challengeToken\":\"%s\"}",
                           order->order_id, order->challenge_token);
  ct_response_assert_error (reject, 400, "TRANSITION_CONFLICT");
  approve = approve_with (f, order, order->check_code, "00", "00");
  ct_response_assert_error (approve, 400, "TRANSITION_CONFLICT");
  finalize = ct_order_finalize (f, order);
  ct_response_assert_error (finalize, 400, "TRANSITION_CONFLICT");

  cancel_unclaimed = ct_post_printf (f, "cancel", "{\"orderId\":\"%s\",\"desktopToken\":\"%s\"}",
                                     unclaimed->order_id, unclaimed->desktop_token);
  g_assert_cmpuint (cancel_unclaimed->status, ==, 200);
  claim_cancelled = ct_post_printf (f, "claim", "{\"orderId\":\"%s\",\"claimToken\":\"%s\"}",
                                    unclaimed->order_id, unclaimed->claim_token);
  ct_response_assert_error (claim_cancelled, 400, "TRANSITION_CONFLICT");
}

static void
test_already_claimed (CtFixture     *f,
                      gconstpointer  data)
{
  g_autoptr(CtOrder) order = ct_order_start (f, "login", NULL);
  g_autoptr(CtResponse) second = NULL;

  ct_order_claim (f, order);
  second = ct_post_printf (f, "claim", "{\"orderId\":\"%s\",\"claimToken\":\"%s\"}",
                           order->order_id, order->claim_token);
  ct_response_assert_error (second, 409, "ALREADY_CLAIMED");
}

static void
test_finalize_already_used (CtFixture     *f,
                            gconstpointer  data)
{
  g_autoptr(CtOrder) order = ct_order_start (f, "login", NULL);
  g_autoptr(CtResponse) first = NULL;
  g_autoptr(CtResponse) second = NULL;

  ct_order_approve (f, order);
  first = ct_order_finalize (f, order);
  g_assert_cmpuint (first->status, ==, 200);
  second = ct_order_finalize (f, order);
  ct_response_assert_error (second, 409, "FINALIZE_ALREADY_USED");
  g_assert_null (soup_message_headers_get_one (second->headers, "set-auth-token"));
  g_assert_null (find_cookie (second->headers));
}

/* ---- origins, returnTo, adapters ------------------------------------------ */

static void
test_untrusted_origin (CtFixture     *f,
                       gconstpointer  data)
{
  g_autoptr(CtResponse) evil = post_with_origin (f, "start", "https://evil.example",
                                                 "{\"kind\":\"login\"}");
  g_autoptr(CtResponse) null_origin = post_with_origin (f, "start", "null",
                                                        "{\"kind\":\"login\"}");
  g_autoptr(CtResponse) own = post_with_origin (f, "start", f->url, "{\"kind\":\"login\"}");

  ct_response_assert_error (evil, 400, "UNTRUSTED_ORIGIN");
  ct_response_assert_error (null_origin, 400, "UNTRUSTED_ORIGIN");
  g_assert_cmpuint (own->status, ==, 200);
}

static void
test_trusted_origin_bound_into_challenge (CtFixture     *f,
                                          gconstpointer  data)
{
  g_autoptr(CtResponse) started = post_with_origin (f, "start", "https://app.example.org",
                                                    "{\"kind\":\"login\"}");
  g_autoptr(CtResponse) claimed = NULL;
  g_autoptr(CtResponse) envelope = NULL;
  g_autoptr(CtResponse) mismatch = NULL;
  g_autofree char *body = NULL;
  JsonObject *o;
  const char *order_id, *challenge_token;

  g_assert_cmpuint (started->status, ==, 200);
  o = ct_response_object (started);
  order_id = ct_json_string (o, "orderId");
  claimed = ct_post_printf (f, "claim", "{\"orderId\":\"%s\",\"claimToken\":\"%s\"}", order_id,
                            ct_json_string (o, "claimToken"));
  g_assert_cmpuint (claimed->status, ==, 200);
  challenge_token = ct_json_string (ct_response_object (claimed), "challengeToken");

  envelope = ct_post_printf (f, "challenge", "{\"orderId\":\"%s\",\"challengeToken\":\"%s\"}",
                             order_id, challenge_token);
  g_assert_cmpuint (envelope->status, ==, 200);
  g_assert_cmpstr (ct_json_string (ct_response_object (envelope), "origin"), ==,
                   "https://app.example.org");
  g_assert_true (strstr (ct_json_string (ct_response_object (envelope), "message"),
                         "\nOrigin: https://app.example.org\n") != NULL);

  /* The phone page on the companion's own origin is another origin. */
  body = g_strdup_printf ("{\"orderId\":\"%s\",\"challengeToken\":\"%s\",\"checkCode\":\"10\","
                          "\"proof\":{\"publicKeyHex\":\"00\",\"signatureHex\":\"00\"}}",
                          order_id, challenge_token);
  mismatch = post_with_origin (f, "approve", f->url, body);
  ct_response_assert_error (mismatch, 400, "ORIGIN_MISMATCH");
}

static void
test_origin_mismatch (CtFixture     *f,
                      gconstpointer  data)
{
  g_autoptr(CtOrder) order = order_waiting (f, "login", NULL);
  g_autoptr(CtResponse) evil = NULL;
  g_autoptr(CtResponse) same = NULL;
  g_autofree char *body = NULL;

  body = g_strdup_printf ("{\"orderId\":\"%s\",\"challengeToken\":\"%s\",\"checkCode\":\"%s\","
                          "\"proof\":{\"publicKeyHex\":\"%s\",\"signatureHex\":\"%s\"}}",
                          order->order_id, order->challenge_token, order->check_code,
                          order->public_key_hex, order->signature_hex);
  evil = post_with_origin (f, "approve", "https://evil.example", body);
  ct_response_assert_error (evil, 400, "ORIGIN_MISMATCH");

  /* The same proof from the order's own origin goes through. */
  same = post_with_origin (f, "approve", f->url, body);
  g_assert_cmpuint (same->status, ==, 200);
}

static void
test_return_to_not_allowed (CtFixture     *f,
                            gconstpointer  data)
{
  static const char *values[] = {
    "//evil.example/x", "https://x", "\\\\path", "/a\\\\b", "relative/path", "javascript:alert(1)",
    "", "/\\\\evil.example",
  };
  g_autoptr(CtResponse) fine = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (values); i++)
    {
      g_autoptr(CtResponse) response = ct_post_printf (f, "start",
                                                       "{\"kind\":\"login\",\"returnTo\":\"%s\"}",
                                                       values[i]);

      g_test_message ("returnTo %s", values[i]);
      ct_response_assert_error (response, 400, "RETURN_TO_NOT_ALLOWED");
    }

  fine = ct_post (f, "start", "{\"kind\":\"login\",\"returnTo\":\"/app/home?tab=1#top\"}");
  g_assert_cmpuint (fine->status, ==, 200);
}

static void
test_unsupported_adapter (CtFixture     *f,
                          gconstpointer  data)
{
  g_autoptr(CtResponse) response = ct_post (f, "start",
                                            "{\"kind\":\"login\",\"adapterId\":\"rsa\"}");

  ct_response_assert_error (response, 400, "UNSUPPORTED_ADAPTER");
}

/* ---- check codes ---------------------------------------------------------- */

static void
test_check_code_mismatch (CtFixture     *f,
                          gconstpointer  data)
{
  g_autoptr(CtOrder) order = order_waiting (f, "login", NULL);
  g_autoptr(CtResponse) wrong = NULL;
  g_autoptr(CtResponse) right = NULL;
  g_autoptr(SoupMessage) msg = NULL;

  g_assert_nonnull (order->check_code);
  g_assert_cmpuint (strlen (order->check_code), ==, 2);
  g_assert_true (g_ascii_isdigit (order->check_code[0]) && g_ascii_isdigit (order->check_code[1]));

  wrong = approve_with (f, order, wrong_code (order->check_code), order->public_key_hex,
                        order->signature_hex);
  ct_response_assert_error (wrong, 400, "CHECK_CODE_MISMATCH");

  /* One wrong try leaves the order open for the right code. */
  right = ct_order_send_approve (f, order);
  g_assert_cmpuint (right->status, ==, 200);
}

static void
test_check_code_missing (CtFixture     *f,
                         gconstpointer  data)
{
  g_autoptr(CtOrder) order = order_waiting (f, "login", NULL);
  g_autoptr(CtResponse) response = NULL;

  response = ct_post_printf (f, "approve",
                             "{\"orderId\":\"%s\",\"challengeToken\":\"%s\","
                             "\"proof\":{\"publicKeyHex\":\"%s\",\"signatureHex\":\"%s\"}}",
                             order->order_id, order->challenge_token, order->public_key_hex,
                             order->signature_hex);
  ct_response_assert_error (response, 400, "CHECK_CODE_MISMATCH");
}

static void
test_check_code_three_wrong_reject (CtFixture     *f,
                                    gconstpointer  data)
{
  g_autoptr(CtOrder) order = order_waiting (f, "login", NULL);
  g_autoptr(CtEventStream) stream = NULL;
  g_autoptr(CtResponse) right = NULL;
  CtEvent *last;

  stream = ct_event_stream_open (f, order->order_id, order->event_token, NULL);
  for (guint i = 0; i < 3; i++)
    {
      g_autoptr(CtResponse) wrong = approve_with (f, order, wrong_code (order->check_code),
                                                  order->public_key_hex, order->signature_hex);

      ct_response_assert_error (wrong, 400, "CHECK_CODE_MISMATCH");
    }

  g_assert_true (ct_event_stream_wait_end (stream));
  last = ct_event_stream_get_event (stream, ct_event_stream_get_events (stream)->len - 1);
  g_assert_cmpstr (last->event, ==, "rejected");

  right = ct_order_send_approve (f, order);
  ct_response_assert_error (right, 400, "TRANSITION_CONFLICT");
}

static void
setup_no_check_code (CtFixture     *f,
                     gconstpointer  data)
{
  ct_fixture_init (f);
  f->config->check_code = FALSE;
  ct_fixture_start (f);
}

static void
test_check_code_off (CtFixture     *f,
                     gconstpointer  data)
{
  g_autoptr(CtOrder) order = ct_order_start (f, "login", NULL);
  g_autoptr(JsonNode) envelope = NULL;
  g_autoptr(CtResponse) approved = NULL;

  ct_order_claim (f, order);
  ct_order_read_check_code (f, order);
  g_assert_null (order->check_code);
  envelope = ct_order_challenge (f, order);
  g_assert_false (ct_json_bool (json_node_get_object (envelope), "checkCodeRequired"));

  /* No checkCode member at all, and it is not needed. */
  ct_order_sign (order);
  approved = ct_order_send_approve (f, order);
  g_assert_cmpuint (approved->status, ==, 200);
}

/* ---- tokens and proofs ---------------------------------------------------- */

#define OTHER_TOKEN "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"

static void
test_invalid_tokens (CtFixture     *f,
                     gconstpointer  data)
{
  g_autoptr(CtOrder) order = ct_order_start (f, "login", NULL);
  g_autoptr(CtResponse) claim = NULL;
  g_autoptr(CtResponse) challenge_before = NULL;
  g_autoptr(CtResponse) challenge = NULL;
  g_autoptr(CtResponse) approve = NULL;
  g_autoptr(CtResponse) reject = NULL;
  g_autoptr(CtResponse) cancel = NULL;
  g_autoptr(CtResponse) finalize = NULL;
  g_autoptr(CtResponse) desktop_as_claim = NULL;
  g_autoptr(CtEventStream) events = NULL;
  g_autoptr(CtEventStream) events_desktop = NULL;
  g_autoptr(CtResponse) events_error = NULL;
  g_autoptr(CtResponse) events_desktop_error = NULL;

  claim = ct_post_printf (f, "claim", "{\"orderId\":\"%s\",\"claimToken\":\"%s\"}",
                          order->order_id, OTHER_TOKEN);
  ct_response_assert_error (claim, 401, "INVALID_CLAIM_TOKEN");
  desktop_as_claim = ct_post_printf (f, "claim", "{\"orderId\":\"%s\",\"claimToken\":\"%s\"}",
                                     order->order_id, order->desktop_token);
  ct_response_assert_error (desktop_as_claim, 401, "INVALID_CLAIM_TOKEN");
  /* Before a claim there is no challenge token at all. */
  challenge_before = ct_post_printf (f, "challenge",
                                     "{\"orderId\":\"%s\",\"challengeToken\":\"%s\"}",
                                     order->order_id, order->claim_token);
  ct_response_assert_error (challenge_before, 401, "INVALID_CHALLENGE_TOKEN");

  ct_order_claim (f, order);
  challenge = ct_post_printf (f, "challenge", "{\"orderId\":\"%s\",\"challengeToken\":\"%s\"}",
                              order->order_id, OTHER_TOKEN);
  ct_response_assert_error (challenge, 401, "INVALID_CHALLENGE_TOKEN");
  approve = ct_post_printf (f, "approve",
                            "{\"orderId\":\"%s\",\"challengeToken\":\"%s\",\"checkCode\":\"10\","
                            "\"proof\":{\"publicKeyHex\":\"00\",\"signatureHex\":\"00\"}}",
                            order->order_id, OTHER_TOKEN);
  ct_response_assert_error (approve, 401, "INVALID_CHALLENGE_TOKEN");
  reject = ct_post_printf (f, "reject", "{\"orderId\":\"%s\",\"challengeToken\":\"%s\"}",
                           order->order_id, order->claim_token);
  ct_response_assert_error (reject, 401, "INVALID_CHALLENGE_TOKEN");
  cancel = ct_post_printf (f, "cancel", "{\"orderId\":\"%s\",\"desktopToken\":\"%s\"}",
                           order->order_id, order->challenge_token);
  ct_response_assert_error (cancel, 401, "INVALID_DESKTOP_TOKEN");
  finalize = ct_post_printf (f, "finalize", "{\"orderId\":\"%s\",\"desktopToken\":\"%s\"}",
                             order->order_id, order->event_token);
  ct_response_assert_error (finalize, 401, "INVALID_DESKTOP_TOKEN");

  events = ct_event_stream_open (f, order->order_id, OTHER_TOKEN, NULL);
  events_error = ct_event_stream_get_error_response (events);
  ct_response_assert_error (events_error, 401, "INVALID_EVENT_TOKEN");
  events_desktop = ct_event_stream_open (f, order->order_id, order->desktop_token, NULL);
  events_desktop_error = ct_event_stream_get_error_response (events_desktop);
  ct_response_assert_error (events_desktop_error, 401, "INVALID_EVENT_TOKEN");
}

static void
test_invalid_proof (CtFixture     *f,
                    gconstpointer  data)
{
  g_autoptr(CtOrder) order = order_waiting (f, "login", NULL);
  g_autofree char *flipped = g_strdup (order->signature_hex);
  g_autofree char *short_key = g_strndup (order->public_key_hex, 62);
  g_autofree char *other_pk = NULL;
  g_autofree char *other_sig = NULL;
  guint8 other_seed[CROSSING_ED25519_SEED_BYTES];
  g_autoptr(CtResponse) bad_signature = NULL;
  g_autoptr(CtResponse) wrong_key_length = NULL;
  g_autoptr(CtResponse) wrong_signer = NULL;
  g_autoptr(CtResponse) not_hex = NULL;
  g_autoptr(CtResponse) other_message = NULL;
  g_autoptr(CtResponse) good = NULL;
  g_autofree char *foreign_pk = NULL;
  g_autofree char *foreign_sig = NULL;

  flipped[0] = flipped[0] == '0' ? '1' : '0';
  bad_signature = approve_with (f, order, order->check_code, order->public_key_hex, flipped);
  ct_response_assert_error (bad_signature, 401, "INVALID_PROOF");

  wrong_key_length = approve_with (f, order, order->check_code, short_key, order->signature_hex);
  ct_response_assert_error (wrong_key_length, 401, "INVALID_PROOF");

  /* Another key's valid signature, presented with this key. */
  ct_seed_for (9, other_seed);
  crossing_proof_sign (CROSSING_ADAPTER_ED25519, order->message, other_seed, &other_pk,
                       &other_sig);
  wrong_signer = approve_with (f, order, order->check_code, order->public_key_hex, other_sig);
  ct_response_assert_error (wrong_signer, 401, "INVALID_PROOF");

  not_hex = approve_with (f, order, order->check_code, order->public_key_hex,
                          "zz-not-hex-zz");
  ct_response_assert_error (not_hex, 401, "INVALID_PROOF");

  /* A signature over some other text does not approve this order. */
  crossing_proof_sign (CROSSING_ADAPTER_ED25519, "hello", order->seed, &foreign_pk, &foreign_sig);
  other_message = approve_with (f, order, order->check_code, foreign_pk, foreign_sig);
  ct_response_assert_error (other_message, 401, "INVALID_PROOF");

  /* Failed proofs do not use up the order. */
  good = ct_order_send_approve (f, order);
  g_assert_cmpuint (good->status, ==, 200);
}

static void
test_registration_closed (CtFixture     *f,
                          gconstpointer  data)
{
  g_autoptr(CtOrder) order = order_waiting (f, "login", NULL);
  g_autoptr(CtResponse) refused = NULL;
  g_autoptr(CtResponse) approved = NULL;
  g_autoptr(CtResponse) finalized = NULL;
  g_autoptr(CtResponse) session = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *subject = ct_ed25519_subject (order->seed);
  g_autofree char *bearer = NULL;
  CompanionUser user = {
    .id = (char *) "user-added-by-operator",
    .subject = subject,
    .name = (char *) "Operator's friend",
    .created_at = g_get_real_time () / 1000,
  };

  refused = ct_order_send_approve (f, order);
  ct_response_assert_error (refused, 401, "UNABLE_TO_RESOLVE_APPROVED_LOGIN");

  companion_store_add_user (ct_fixture_get_store (f), &user, &error);
  g_assert_no_error (error);

  approved = ct_order_send_approve (f, order);
  g_assert_cmpuint (approved->status, ==, 200);
  finalized = ct_order_finalize (f, order);
  g_assert_cmpuint (finalized->status, ==, 200);

  bearer = g_strdup_printf ("Bearer %s", ct_json_string (ct_response_object (finalized), "token"));
  session = get_session (f, "Authorization", bearer);
  assert_session_full (session, subject, "Operator's friend", "user");
  g_assert_cmpstr (ct_json_string (ct_json_object (ct_response_object (session), "user"), "id"),
                   ==, "user-added-by-operator");
  g_assert_cmpstr (ct_json_string (ct_json_object (ct_response_object (session), "user"), "name"),
                   ==, "Operator's friend");
}

/* Closed registration is about who may sign in, not who may sign. */
static void
test_registration_closed_allows_sign (CtFixture     *f,
                                      gconstpointer  data)
{
  g_autoptr(CtOrder) order = ct_order_start (f, "sign", NULL);

  ct_order_approve (f, order);
}

/* ---- routes and bodies ---------------------------------------------------- */

static void
test_order_not_found (CtFixture     *f,
                      gconstpointer  data)
{
  g_autoptr(CtResponse) unknown = ct_post_printf (f, "claim",
                                                  "{\"orderId\":\"%s\",\"claimToken\":\"%s\"}",
                                                  "AAAAAAAAAAAAAAAAAAAAAA", OTHER_TOKEN);
  g_autoptr(CtResponse) malformed = ct_post_printf (f, "finalize",
                                                    "{\"orderId\":\"%s\",\"desktopToken\":\"%s\"}",
                                                    "no such/order", OTHER_TOKEN);
  g_autoptr(CtEventStream) events = ct_event_stream_open (f, "AAAAAAAAAAAAAAAAAAAAAA",
                                                          OTHER_TOKEN, NULL);
  g_autoptr(CtResponse) events_error = ct_event_stream_get_error_response (events);

  ct_response_assert_error (unknown, 404, "ORDER_NOT_FOUND");
  ct_response_assert_error (malformed, 404, "ORDER_NOT_FOUND");
  ct_response_assert_error (events_error, 404, "ORDER_NOT_FOUND");
}

static void
test_not_found (CtFixture     *f,
                gconstpointer  data)
{
  static const char *paths[] = {
    "/api/auth/cross-device/nope", "/api/auth/cross-device", "/api/auth/nope", "/nothing",
    "/api/auth/cross-device/start/extra",
  };

  for (guint i = 0; i < G_N_ELEMENTS (paths); i++)
    {
      g_autoptr(CtResponse) response = ct_get (f, paths[i]);

      g_test_message ("GET %s", paths[i]);
      ct_response_assert_error (response, 404, "NOT_FOUND");
    }
}

static void
test_health (CtFixture     *f,
             gconstpointer  data)
{
  g_autoptr(CtResponse) response = ct_get (f, "/api/auth/health");
  JsonObject *o;

  g_assert_cmpuint (response->status, ==, 200);
  o = ct_response_object (response);
  g_assert_cmpstr (ct_json_string (o, "status"), ==, "ok");
  g_assert_cmpstr (ct_json_string (o, "store"), ==, "sqlite");
  g_assert_cmpstr (ct_json_string (o, "version"), ==, PACKAGE_VERSION);
  g_assert_cmpstr (soup_message_headers_get_one (response->headers, "Cache-Control"), ==,
                   "no-store");
}

static const char *
metrics_text (CtResponse *response)
{
  g_assert_cmpuint (response->status, ==, 200);
  g_assert_cmpstr (soup_message_headers_get_one (response->headers, "Content-Type"), ==,
                   "text/plain; version=0.0.4; charset=utf-8");
  return g_bytes_get_data (response->body, NULL);
}

static void
test_metrics (CtFixture     *f,
              gconstpointer  data)
{
  g_autoptr(CtOrder) order = ct_order_start (f, "login", NULL);
  g_autoptr(CtResponse) finalized = NULL;
  g_autoptr(CtResponse) missing = ct_get (f, "/api/auth/nowhere");
  g_autoptr(CtResponse) response = NULL;
  g_autofree char *text = NULL;
  const char *token;

  ct_order_approve (f, order);
  finalized = ct_order_finalize (f, order);
  token = ct_json_string (ct_response_object (finalized), "token");

  response = ct_get (f, "/api/auth/metrics");
  text = g_strndup (metrics_text (response), g_bytes_get_size (response->body));
  g_test_message ("%s", text);
  g_assert_nonnull (strstr (text, "crossing_http_requests_total{route=\"/cross-device/start\","
                            "status=\"200\"} 1\n"));
  g_assert_nonnull (strstr (text, "crossing_http_requests_total{route=\"/cross-device/finalize\","
                            "status=\"200\"} 1\n"));
  g_assert_nonnull (strstr (text, "crossing_http_requests_total{route=\"unmatched\","
                            "status=\"404\"} 1\n"));
  g_assert_nonnull (strstr (text, "crossing_sign_ins_total{flow=\"cross-device\"} 1\n"));
  g_assert_nonnull (strstr (text, "crossing_orders_finished_total{state=\"finalized\"} 1\n"));
  g_assert_nonnull (strstr (text, "crossing_orders_finished_total{state=\"expired\"} 0\n"));
  g_assert_nonnull (strstr (text, "crossing_event_streams "));
  g_assert_nonnull (strstr (text, "crossing_store_latency_seconds_count "));
  g_assert_null (strstr (text, "crossing_store_latency_seconds_count 0\n"));

  /* Nothing that names an order, a secret or a client. */
  g_assert_null (strstr (text, order->order_id));
  g_assert_null (strstr (text, order->desktop_token));
  g_assert_null (strstr (text, token));
  g_assert_null (strstr (text, "127.0.0.1"));
}

static void
test_metrics_off_is_not_found (CtFixture     *f,
                               gconstpointer  data)
{
  g_autoptr(CtResponse) response = ct_get (f, "/api/auth/metrics");

  ct_response_assert_error (response, 404, "NOT_FOUND");
}

/* Behind the trusted proxy, the client it names decides. */
static void
test_metrics_only_for_loopback (CtFixture     *f,
                                gconstpointer  data)
{
  g_autoptr(SoupMessage) remote = ct_message_new (f, SOUP_METHOD_GET, "/api/auth/metrics");
  g_autoptr(SoupMessage) local = ct_message_new (f, SOUP_METHOD_GET, "/api/auth/metrics");
  g_autoptr(CtResponse) refused = NULL;
  g_autoptr(CtResponse) allowed = NULL;

  soup_message_headers_replace (soup_message_get_request_headers (remote), "X-Forwarded-For",
                                "203.0.113.9");
  refused = ct_send (f, remote);
  ct_response_assert_error (refused, 404, "NOT_FOUND");

  soup_message_headers_replace (soup_message_get_request_headers (local), "X-Forwarded-For",
                                "127.0.0.1");
  allowed = ct_send (f, local);
  metrics_text (allowed);
}

static void
test_method_not_allowed (CtFixture     *f,
                         gconstpointer  data)
{
  static const struct { const char *method, *endpoint, *allow; } cases[] = {
    { "GET", "start", "POST" },
    { "PUT", "claim", "POST" },
    { "DELETE", "finalize", "POST" },
    { "POST", "events", "GET" },
    { "POST", "/api/auth/get-session", "GET" },
    { "GET", "/api/auth/sign-out", "POST" },
    { "POST", "/api/auth/health", "GET" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(SoupMessage) msg = ct_message_new (f, cases[i].method, cases[i].endpoint);
      g_autoptr(CtResponse) response = ct_send (f, msg);

      g_test_message ("%s %s", cases[i].method, cases[i].endpoint);
      ct_response_assert_error (response, 405, "METHOD_NOT_ALLOWED");
      g_assert_cmpstr (soup_message_headers_get_one (response->headers, "Allow"), ==,
                       cases[i].allow);
    }
}

static void
test_payload_too_large (CtFixture     *f,
                        gconstpointer  data)
{
  static const char prefix[] = "{\"kind\":\"login\",\"pad\":\"";
  static const char suffix[] = "\"}";
  g_autoptr(GString) body = g_string_new (prefix);
  g_autoptr(SoupMessage) at_limit = NULL;
  g_autoptr(SoupMessage) over = NULL;
  g_autoptr(CtResponse) r1 = NULL;
  g_autoptr(CtResponse) r2 = NULL;

  while (body->len < 16 * 1024 - (sizeof suffix - 1))
    g_string_append_c (body, 'x');
  g_string_append (body, suffix);
  g_assert_cmpuint (body->len, ==, 16 * 1024);

  /* Exactly 16 KiB is still fine (the unknown member is ignored). */
  at_limit = ct_message_new_post (f, "start", "application/json", body->str, body->len);
  r1 = ct_send (f, at_limit);
  g_assert_cmpuint (r1->status, ==, 200);

  g_string_insert_c (body, sizeof prefix - 1, 'x');
  g_assert_cmpuint (body->len, ==, 16 * 1024 + 1);
  over = ct_message_new_post (f, "start", "application/json", body->str, body->len);
  r2 = ct_send (f, over);
  ct_response_assert_error (r2, 413, "PAYLOAD_TOO_LARGE");
}

/* Without a Content-Length the size is only known once the body is in. */
static void
test_payload_too_large_chunked (CtFixture     *f,
                                gconstpointer  data)
{
  g_autoptr(GString) body = g_string_new ("{\"kind\":\"login\",\"pad\":\"");
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GInputStream) stream = NULL;
  g_autoptr(SoupMessage) msg = NULL;
  g_autoptr(CtResponse) response = NULL;

  while (body->len < 16 * 1024 - 1)
    g_string_append_c (body, 'x');
  g_string_append (body, "\"}");
  g_assert_cmpuint (body->len, ==, 16 * 1024 + 1);
  bytes = g_bytes_new (body->str, body->len);
  stream = g_memory_input_stream_new_from_bytes (bytes);

  msg = ct_message_new (f, SOUP_METHOD_POST, "start");
  soup_message_set_request_body (msg, "application/json", stream, -1);
  response = ct_send (f, msg);
  ct_response_assert_error (response, 413, "PAYLOAD_TOO_LARGE");
}

static void
test_unsupported_media_type (CtFixture     *f,
                             gconstpointer  data)
{
  static const char *types[] = {
    "text/plain", "application/x-www-form-urlencoded", "application/json; charset=latin1", NULL,
  };

  for (guint i = 0; i < G_N_ELEMENTS (types); i++)
    {
      g_autoptr(SoupMessage) msg = NULL;
      g_autoptr(CtResponse) response = NULL;

      if (types[i] != NULL)
        msg = ct_message_new_post (f, "start", types[i], "{\"kind\":\"login\"}", -1);
      else
        {
          msg = ct_message_new_post (f, "start", NULL, NULL, 0);
          soup_message_set_request_body_from_bytes (msg, NULL, NULL);
        }
      response = ct_send (f, msg);
      g_test_message ("content type %s", types[i]);
      ct_response_assert_error (response, 415, "UNSUPPORTED_MEDIA_TYPE");
    }
}

static void
test_json_with_charset_accepted (CtFixture     *f,
                                 gconstpointer  data)
{
  g_autoptr(SoupMessage) msg = ct_message_new_post (f, "start", "application/json; charset=utf-8",
                                                    "{\"kind\":\"login\"}", -1);
  g_autoptr(CtResponse) response = ct_send (f, msg);

  g_assert_cmpuint (response->status, ==, 200);
}

static void
test_rate_limited_streams (CtFixture     *f,
                           gconstpointer  data)
{
  g_autoptr(CtOrder) order = ct_order_start (f, "login", NULL);
  g_autoptr(GPtrArray) streams = NULL;
  g_autoptr(CtEventStream) refused = NULL;
  g_autoptr(CtResponse) error = NULL;
  guint64 retry_after;
  guint cap = f->config->max_streams_per_order;

  g_assert_cmpuint (cap, ==, 8);
  streams = g_ptr_array_new_with_free_func ((GDestroyNotify) ct_event_stream_close);
  for (guint i = 0; i < cap; i++)
    {
      CtEventStream *stream = ct_event_stream_open (f, order->order_id, order->event_token, NULL);

      g_assert_cmpuint (ct_event_stream_get_status (stream), ==, 200);
      g_ptr_array_add (streams, stream);
    }
  g_assert_cmpuint (companion_event_hub_get_n_streams_for_order (ct_fixture_get_hub (f),
                                                                 order->order_id), ==, cap);

  refused = ct_event_stream_open (f, order->order_id, order->event_token, NULL);
  error = ct_event_stream_get_error_response (refused);
  ct_response_assert_error (error, 429, "RATE_LIMITED");
  g_assert_true (g_ascii_string_to_unsigned (soup_message_headers_get_one (error->headers,
                                                                           "Retry-After"),
                                             10, 1, 3600, &retry_after, NULL));
}

/* ---- secrets ------------------------------------------------------------- */

typedef struct {
  GString *text;
} LogCapture;

static GLogWriterOutput
capture_log (GLogLevelFlags   log_level,
             const GLogField *fields,
             gsize            n_fields,
             gpointer         user_data)
{
  LogCapture *capture = user_data;

  for (gsize i = 0; i < n_fields; i++)
    if (g_strcmp0 (fields[i].key, "MESSAGE") == 0)
      {
        if (fields[i].length < 0)
          g_string_append (capture->text, fields[i].value);
        else
          g_string_append_len (capture->text, fields[i].value, fields[i].length);
        g_string_append_c (capture->text, '\n');
      }
  return g_log_writer_default (log_level, fields, n_fields, user_data);
}

/* Binary-safe: database pages are full of NUL bytes. */
static gboolean
contains (const char *haystack,
          gsize       len,
          const char *needle)
{
  gsize needle_len = strlen (needle);

  for (gsize i = 0; i + needle_len <= len; i++)
    if (memcmp (haystack + i, needle, needle_len) == 0)
      return TRUE;
  return FALSE;
}

static void
assert_not_in (const char *haystack,
               gsize       len,
               const char *what,
               const char *token)
{
  g_assert_nonnull (token);
  g_assert_cmpuint (strlen (token), >, 0);
  if (contains (haystack, len, token))
    g_error ("the %s appears in clear text", what);
}

static char *
full_login (CtFixture  *f,
            CtOrder   **out_order)
{
  g_autoptr(CtOrder) order = ct_order_start (f, "login", NULL);
  g_autoptr(CtResponse) finalized = NULL;
  g_autoptr(CtEventStream) stream = NULL;

  stream = ct_event_stream_open (f, order->order_id, order->event_token, NULL);
  ct_order_approve (f, order);
  finalized = ct_order_finalize (f, order);
  g_assert_cmpuint (finalized->status, ==, 200);
  g_assert_true (ct_event_stream_wait_end (stream));
  *out_order = g_steal_pointer (&order);
  return g_strdup (ct_json_string (ct_response_object (finalized), "token"));
}

/* A token is never written to a log, not even at debug level. */
static void
test_no_token_in_logs (CtFixture     *f,
                       gconstpointer  data)
{
  /* Lives as long as the process: the writer cannot be unset. */
  static LogCapture capture;
  g_autoptr(CtOrder) order = NULL;
  g_autofree char *session_token = NULL;
  g_autoptr(CtResponse) wrong = NULL;

  /* A writer can be set once per process; it stays for the tests after. */
  capture.text = g_string_new (NULL);
  g_log_set_writer_func (capture_log, &capture, NULL);
  session_token = full_login (f, &order);
  wrong = ct_post_printf (f, "finalize", "{\"orderId\":\"%s\",\"desktopToken\":\"%s\"}",
                          order->order_id, order->desktop_token);
  ct_response_assert_error (wrong, 409, "FINALIZE_ALREADY_USED");

  assert_not_in (capture.text->str, capture.text->len, "claim token", order->claim_token);
  assert_not_in (capture.text->str, capture.text->len, "desktop token", order->desktop_token);
  assert_not_in (capture.text->str, capture.text->len, "event token", order->event_token);
  assert_not_in (capture.text->str, capture.text->len, "challenge token", order->challenge_token);
  assert_not_in (capture.text->str, capture.text->len, "session token", session_token);
  g_test_message ("%u bytes of log checked", (guint) capture.text->len);
}

static void
test_tokens_stored_as_hashes (CtFixture     *f,
                              gconstpointer  data)
{
  g_autoptr(CtOrder) order = NULL;
  g_autofree char *session_token = full_login (f, &order);
  static const char *suffixes[] = { "", "-wal" };
  g_autofree char *expected_hash = crossing_token_hash (order->desktop_token);
  gboolean hash_seen = FALSE;

  for (guint i = 0; i < G_N_ELEMENTS (suffixes); i++)
    {
      g_autofree char *path = g_strconcat (f->db_path, suffixes[i], NULL);
      g_autofree char *contents = NULL;
      gsize len = 0;

      if (!g_file_get_contents (path, &contents, &len, NULL))
        continue;
      assert_not_in (contents, len, "claim token", order->claim_token);
      assert_not_in (contents, len, "desktop token", order->desktop_token);
      assert_not_in (contents, len, "event token", order->event_token);
      assert_not_in (contents, len, "challenge token", order->challenge_token);
      assert_not_in (contents, len, "session token", session_token);
      hash_seen |= contains (contents, len, expected_hash);
    }

  /* The check looked at the right bytes: the hash itself is there. */
  g_assert_true (hash_seen);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add ("/companion/http/" path, CtFixture, NULL, ct_fixture_setup, func, ct_fixture_teardown)
#define ADD_WITH(path, setup, func) \
  g_test_add ("/companion/http/" path, CtFixture, NULL, setup, func, ct_fixture_teardown)

  ADD ("start/success-shape", test_start_shape);
  ADD ("start/every-kind-and-adapter", test_start_kinds_and_adapters);
  ADD ("claim/success-shape", test_claim_shape);
  ADD ("challenge/login-envelope-and-message", test_challenge_envelope_login);
  ADD ("challenge/sign-envelope-with-payload-hash", test_challenge_envelope_sign_with_payload);
  ADD ("challenge/default-titles-per-kind", test_default_titles);
  ADD ("reject-and-cancel/success-shapes", test_reject_and_cancel_shapes);
  ADD ("cancel/from-every-pending-state", test_cancel_from_every_pending_state);
  ADD ("finalize/login-gives-token-header-and-cookie", test_finalize_login);
  ADD ("session/bearer-cookie-and-sign-out", test_session_bearer_cookie_sign_out);
  ADD ("session/unknown-token-is-null", test_session_garbage_token_is_null);
  ADD ("session/operator-name-and-admin-role", test_session_named_admin);
  ADD ("finalize/sign-gives-same-proof-artifact-twice", test_finalize_sign_proof_artifact);
  ADD ("finalize/transaction-gives-proof-artifact", test_finalize_transaction_proof_artifact);
  ADD ("nimiq-pay/login-subject-is-address", test_nimiq_pay_login);
  ADD ("nimiq-pay/sign-artifact-and-address-check", test_nimiq_pay_sign_artifact_and_address);
  ADD ("nimiq-pay/plain-ed25519-signature-refused", test_nimiq_pay_refuses_plain_signature);

  ADD ("invalid-request/bodies", test_invalid_request_bodies);
  ADD ("invalid-request/empty-body-and-nul", test_invalid_request_empty_and_nul);
  ADD ("invalid-request/field-too-long", test_invalid_request_lengths);
  ADD ("invalid-request/control-characters", test_invalid_request_control_characters);
  ADD ("invalid-request/events-without-query", test_events_query_required);
  ADD ("order-expired/clock-decides", test_order_expired);
  ADD ("not-ready/approve-reject-cancel-finalize", test_not_ready);
  ADD ("transition-conflict/terminal-order", test_terminal_conflicts);
  ADD ("claim/second-claim-conflicts", test_already_claimed);
  ADD ("finalize/second-login-finalize-conflicts", test_finalize_already_used);
  ADD ("origin/untrusted-start-refused", test_untrusted_origin);
  ADD_WITH ("origin/trusted-origin-bound-into-challenge", setup_trusted,
            test_trusted_origin_bound_into_challenge);
  ADD ("origin/approve-from-other-origin-refused", test_origin_mismatch);
  ADD ("return-to/absolute-and-odd-paths-refused", test_return_to_not_allowed);
  ADD ("start/unsupported-adapter", test_unsupported_adapter);
  ADD ("check-code/wrong-code-refused", test_check_code_mismatch);
  ADD ("check-code/missing-code-refused", test_check_code_missing);
  ADD ("check-code/three-wrong-codes-reject", test_check_code_three_wrong_reject);
  ADD_WITH ("check-code/off-needs-none", setup_no_check_code, test_check_code_off);
  ADD ("tokens/wrong-token-per-endpoint", test_invalid_tokens);
  ADD ("proof/bad-signature-and-key-refused", test_invalid_proof);
  ADD_WITH ("registration/closed-refuses-unknown-key-until-added", setup_closed,
            test_registration_closed);
  ADD_WITH ("registration/closed-still-allows-sign", setup_closed,
            test_registration_closed_allows_sign);
  ADD ("routes/order-not-found", test_order_not_found);
  ADD ("routes/unknown-route-not-found", test_not_found);
  ADD ("routes/wrong-method-with-allow", test_method_not_allowed);
  ADD ("health/ok-with-store-and-version", test_health);
  g_test_add ("/companion/http/metrics/counts-without-ids", CtFixture, GINT_TO_POINTER (FALSE),
              setup_metrics, test_metrics, ct_fixture_teardown);
  ADD ("metrics/off-is-not-found", test_metrics_off_is_not_found);
  g_test_add ("/companion/http/metrics/only-for-loopback", CtFixture, GINT_TO_POINTER (TRUE),
              setup_metrics, test_metrics_only_for_loopback, ct_fixture_teardown);
  ADD ("body/over-16-kib-too-large", test_payload_too_large);
  ADD ("body/chunked-over-16-kib-too-large", test_payload_too_large_chunked);
  ADD ("body/not-json-media-type", test_unsupported_media_type);
  ADD ("body/json-with-utf8-charset-accepted", test_json_with_charset_accepted);
  ADD ("events/stream-cap-per-order-rate-limited", test_rate_limited_streams);
  ADD ("tokens/stored-only-as-hashes", test_tokens_stored_as_hashes);
  ADD ("tokens/never-in-logs", test_no_token_in_logs);

  return g_test_run ();
}
