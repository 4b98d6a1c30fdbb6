/* test-page.c: the phone page handler, through a real HTTP round trip
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A SoupServer on 127.0.0.1 port 0 looks every request up in the
 * cross-device feature's own routes and hands the page's to
 * companion_page_serve(). The path after "/cross-device/" is the relative
 * path, unless the request carries X-Test-Rel-Path: then that exact string
 * is, so the handler meets paths a client library would have normalised.
 */
#include "config.h"

#include <string.h>

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "companion-cross-device.h"
#include "companion-page.h"
#include "companion-reply-private.h"
#include "companion-router.h"

#define PAGE_PREFIX "/cross-device/"
/* Every character that means something in HTML, to prove the escaping. */
#define HOSTILE_API_BASE "/api/auth/cross-device\"><script>alert('x')</script>&amp"

static const char *security_headers[][2] = {
  { "Content-Security-Policy",
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'" },
  { "Referrer-Policy", "no-referrer" },
  { "X-Content-Type-Options", "nosniff" },
  { "Cache-Control", "no-store" },
};

typedef struct {
  SoupServer  *server;
  SoupSession *session;
  char        *base;
} Fixture;

typedef struct {
  guint               status;
  SoupMessageHeaders *headers;
  GBytes             *body;
} Response;

static void
response_free (Response *response)
{
  g_clear_pointer (&response->headers, soup_message_headers_unref);
  g_clear_pointer (&response->body, g_bytes_unref);
  g_free (response);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Response, response_free)

static void
on_request (SoupServer        *server,
            SoupServerMessage *msg,
            const char        *path,
            GHashTable        *query,
            gpointer           user_data)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  const char *rel_path = soup_message_headers_get_one (headers, "X-Test-Rel-Path");

  g_autoptr(CompanionRouter) router = companion_router_new ();
  g_autoptr(CompanionReply) reply = companion_reply_new ();
  g_autofree char *full_path = NULL;
  g_autofree char *allow = NULL;
  const char *rest;

  if (rel_path == NULL)
    {
      g_assert_true (g_str_has_prefix (path, PAGE_PREFIX));
      rel_path = path + strlen (PAGE_PREFIX);
    }
  full_path = g_strconcat (PAGE_PREFIX, rel_path, NULL);
  /* As the companion does for every answer outside its API. */
  companion_reply_set_page_headers (reply);

  companion_router_add (router, "cross-device", companion_cross_device_feature.routes,
                        companion_cross_device_feature.n_routes, NULL);
  if (companion_router_lookup (router, TRUE, soup_server_message_get_method (msg), full_path,
                               &rest, &allow) != NULL)
    companion_page_serve (rel_path, HOSTILE_API_BASE, reply);
  else if (allow != NULL)
    {
      companion_reply_set_header (reply, "Allow", allow);
      companion_reply_set_error_code (reply, CROSSING_ERROR_METHOD_NOT_ALLOWED, NULL);
    }
  else
    companion_reply_set_error_code (reply, CROSSING_ERROR_NOT_FOUND, NULL);
  companion_reply_write (reply, msg);
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  GSList *uris;

  f->server = soup_server_new (NULL, NULL);
  soup_server_add_handler (f->server, PAGE_PREFIX, on_request, NULL, NULL);
  soup_server_listen (f->server, address, 0, &error);
  g_assert_no_error (error);

  uris = soup_server_get_uris (f->server);
  g_assert_nonnull (uris);
  f->base = g_strdup_printf ("http://127.0.0.1:%d", g_uri_get_port (uris->data));
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);

  f->session = soup_session_new ();
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  g_clear_object (&f->session);
  soup_server_disconnect (f->server);
  g_clear_object (&f->server);
  g_clear_pointer (&f->base, g_free);
}

typedef struct {
  GBytes       *body;
  GError       *error;
  gboolean      done;
} Pending;

static void
on_read (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  Pending *pending = user_data;

  pending->body = soup_session_send_and_read_finish (SOUP_SESSION (source), result,
                                                     &pending->error);
  pending->done = TRUE;
}

/* Client and server share this thread: iterate until the answer is in. */
static Response *
request (Fixture    *f,
         const char *method,
         const char *path,
         const char *rel_path)
{
  g_autofree char *url = g_strconcat (f->base, PAGE_PREFIX, path, NULL);
  g_autoptr(SoupMessage) msg = soup_message_new (method, url);
  Pending pending = { NULL, NULL, FALSE };
  Response *response;
  gint64 deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;

  g_assert_nonnull (msg);
  if (rel_path != NULL)
    soup_message_headers_replace (soup_message_get_request_headers (msg), "X-Test-Rel-Path",
                                  rel_path);
  soup_session_send_and_read_async (f->session, msg, G_PRIORITY_DEFAULT, NULL, on_read, &pending);
  while (!pending.done)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (NULL, TRUE);
    }
  g_assert_no_error (pending.error);

  response = g_new0 (Response, 1);
  response->status = soup_message_get_status (msg);
  response->headers = soup_message_headers_ref (soup_message_get_response_headers (msg));
  response->body = pending.body;
  return response;
}

static const char *
body_text (Response *response)
{
  gsize len;
  const char *data = g_bytes_get_data (response->body, &len);

  /* GBytes from libsoup are NUL-terminated past their length. */
  g_assert_nonnull (data);
  g_assert_cmpuint (strlen (data), ==, len);
  return data;
}

static void
assert_security_headers (Response *response)
{
  for (gsize i = 0; i < G_N_ELEMENTS (security_headers); i++)
    g_assert_cmpstr (soup_message_headers_get_one (response->headers, security_headers[i][0]),
                     ==, security_headers[i][1]);
}

static void
assert_error (Response   *response,
              guint       status,
              const char *code)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  JsonObject *object;

  g_assert_cmpuint (response->status, ==, status);
  g_assert_cmpstr (soup_message_headers_get_content_type (response->headers, NULL), ==,
                   "application/json");
  assert_security_headers (response);
  json_parser_load_from_data (parser, body_text (response), -1, &error);
  g_assert_no_error (error);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)));
  object = json_node_get_object (json_parser_get_root (parser));
  g_assert_cmpstr (json_object_get_string_member_with_default (object, "code", NULL), ==, code);
  g_assert_nonnull (json_object_get_string_member_with_default (object, "message", NULL));
}

static void
test_claim_page_served (Fixture       *f,
                        gconstpointer  data)
{
  g_autoptr(Response) response = request (f, "GET", "claim/AbC-123_xyz?token=t0k3n", NULL);
  const char *html;

  g_assert_cmpuint (response->status, ==, 200);
  g_assert_cmpstr (soup_message_headers_get_one (response->headers, "Content-Type"), ==,
                   "text/html; charset=utf-8");
  assert_security_headers (response);

  html = body_text (response);
  g_assert_true (g_str_has_prefix (html, "<!DOCTYPE html>"));
  /* The same page for every order: the order's ID is not in it. */
  g_assert_null (strstr (html, "AbC-123_xyz"));
  g_assert_null (strstr (html, "@API_BASE@"));
}

static void
test_api_base_escaped (Fixture       *f,
                       gconstpointer  data)
{
  g_autoptr(Response) response = request (f, "GET", "claim/order1", NULL);
  const char *html = body_text (response);

  g_assert_cmpuint (response->status, ==, 200);
  g_assert_nonnull (strstr (html, "<meta name=\"crossing-api\" content=\"/api/auth/cross-device"
                                  "&quot;&gt;&lt;script&gt;alert(&apos;x&apos;)&lt;/script&gt;"
                                  "&amp;amp\">"));
  g_assert_null (strstr (html, "<script>alert"));
}

/* The CSP forbids inline code; a page that relied on it would break silently. */
static void
test_html_has_no_inline_code (Fixture       *f,
                              gconstpointer  data)
{
  g_autoptr(Response) response = request (f, "GET", "claim/order1", NULL);
  g_autoptr(GRegex) script = g_regex_new ("<script(?![^>]*\\ssrc=)", G_REGEX_CASELESS, 0, NULL);
  g_autoptr(GRegex) handler = g_regex_new ("<[^>]*\\son[a-z]+\\s*=", G_REGEX_CASELESS, 0, NULL);
  g_autoptr(GRegex) style = g_regex_new ("<style|\\sstyle\\s*=", G_REGEX_CASELESS, 0, NULL);
  g_autoptr(GRegex) remote = g_regex_new ("(src|href)\\s*=\\s*\"(https?:)?//", G_REGEX_CASELESS,
                                          0, NULL);
  g_autoptr(GRegex) meta = g_regex_new ("<meta name=\"crossing-api\" content=\"[^\"]*\">", 0, 0,
                                        NULL);
  g_autofree char *html = NULL;

  /* The hostile API base is data, escaped above; judge the markup around it. */
  g_assert_cmpuint (response->status, ==, 200);
  html = g_regex_replace_literal (meta, body_text (response), -1, 0, "", 0, NULL);
  g_assert_nonnull (html);
  g_assert_cmpuint (strlen (html), <, strlen (body_text (response)));
  g_assert_nonnull (strstr (html, "<script src=\"../assets/claim.js\""));
  g_assert_false (g_regex_match (script, html, 0, NULL));
  g_assert_false (g_regex_match (handler, html, 0, NULL));
  g_assert_false (g_regex_match (style, html, 0, NULL));
  g_assert_false (g_regex_match (remote, html, 0, NULL));
}

static void
test_assets_served (Fixture       *f,
                    gconstpointer  data)
{
  static const char *assets[][3] = {
    { "assets/claim.js",  "text/javascript; charset=utf-8", "'use strict';" },
    { "assets/claim.css", "text/css; charset=utf-8",        "prefers-color-scheme: dark" },
    { "assets/icon.svg",  "image/svg+xml; charset=utf-8",   "<svg" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (assets); i++)
    {
      g_autoptr(Response) response = request (f, "GET", assets[i][0], NULL);

      g_test_message ("%s", assets[i][0]);
      g_assert_cmpuint (response->status, ==, 200);
      g_assert_cmpstr (soup_message_headers_get_one (response->headers, "Content-Type"), ==,
                       assets[i][1]);
      assert_security_headers (response);
      g_assert_nonnull (strstr (body_text (response), assets[i][2]));
    }
}

static void
test_head_has_headers_only (Fixture       *f,
                            gconstpointer  data)
{
  g_autoptr(Response) response = request (f, "HEAD", "assets/claim.js", NULL);

  g_assert_cmpuint (response->status, ==, 200);
  g_assert_cmpstr (soup_message_headers_get_one (response->headers, "Content-Type"), ==,
                   "text/javascript; charset=utf-8");
  assert_security_headers (response);
  g_assert_cmpuint (g_bytes_get_size (response->body), ==, 0);
}

static void
test_other_methods_refused (Fixture       *f,
                            gconstpointer  data)
{
  static const char *methods[] = { "POST", "PUT", "DELETE", "PATCH", "OPTIONS" };

  for (gsize i = 0; i < G_N_ELEMENTS (methods); i++)
    {
      g_autoptr(Response) page = request (f, methods[i], "claim/order1", NULL);
      g_autoptr(Response) asset = request (f, methods[i], "assets/claim.css", NULL);

      g_test_message ("%s", methods[i]);
      assert_error (page, 405, "METHOD_NOT_ALLOWED");
      g_assert_cmpstr (soup_message_headers_get_one (page->headers, "Allow"), ==, "GET, HEAD");
      assert_error (asset, 405, "METHOD_NOT_ALLOWED");
      g_assert_cmpstr (soup_message_headers_get_one (asset->headers, "Allow"), ==, "GET, HEAD");
    }
}

/* Only exact names from the bundle's table are files; the rest is 404,
 * whatever a client or proxy did or did not normalise. */
static void
test_unknown_paths_not_found (Fixture       *f,
                              gconstpointer  data)
{
  g_autofree char *long_id = g_strnfill (129, 'a');
  g_autofree char *long_claim = g_strconcat ("claim/", long_id, NULL);
  const char *paths[] = {
    "",
    "claim",
    "claim/",
    "claim/..",
    "claim/.",
    "claim/a.b",
    "claim/a/b",
    "claim/a%2Fb",
    "claim/a%2fb",
    "claim/order1/",
    "claim/order1/../../assets/claim.js",
    "claim/ord er",
    "claim/ordér",
    long_claim,
    "assets/",
    "assets/claim.html",
    "assets/page.gresource.xml",
    "assets/CLAIM.JS",
    "assets/claim.js/",
    "assets/claim.js%00",
    "assets/./claim.js",
    "assets//claim.js",
    "assets/../claim.js",
    "assets/..%2Fclaim.js",
    "assets/%2e%2e/claim.js",
    "assets/..\\claim.js",
    "assets/%2F..%2F..%2Fetc%2Fpasswd",
    "assets/../../../../etc/passwd",
    "/assets/claim.js",
    "claim.js",
    "claim.html",
    "dev/crossing/companion/page/claim.js",
    "resource:///dev/crossing/companion/page/claim.js",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (paths); i++)
    {
      g_autoptr(Response) response = request (f, "GET", "x", paths[i]);

      g_test_message ("%s", paths[i]);
      assert_error (response, 404, "NOT_FOUND");
    }
}

/* The same through the URL itself. libsoup refuses some of these with 400
 * before any handler runs; the rest must reach the page handler's 404. */
static void
test_encoded_traversal_in_url (Fixture       *f,
                               gconstpointer  data)
{
  const char *paths[] = {
    "assets/%2e%2e%2fclaim.js",
    "assets/..%2fclaim.html",
    "claim/%2e%2e",
    "claim/a%2Fb",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (paths); i++)
    {
      g_autoptr(Response) response = request (f, "GET", paths[i], NULL);

      g_test_message ("%s -> %u", paths[i], response->status);
      if (response->status == SOUP_STATUS_BAD_REQUEST)
        continue;
      assert_error (response, 404, "NOT_FOUND");
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)

  ADD ("/page/claim/serves-the-same-html-for-any-order", test_claim_page_served);
  ADD ("/page/claim/api-base-is-attribute-escaped", test_api_base_escaped);
  ADD ("/page/claim/html-has-no-inline-code-or-remote-assets", test_html_has_no_inline_code);
  ADD ("/page/assets/served-with-type-and-headers", test_assets_served);
  ADD ("/page/method/head-sends-headers-only", test_head_has_headers_only);
  ADD ("/page/method/others-get-405-with-allow", test_other_methods_refused);
  ADD ("/page/path/anything-unknown-is-404", test_unknown_paths_not_found);
  ADD ("/page/path/encoded-traversal-is-404", test_encoded_traversal_in_url);

#undef ADD

  return g_test_run ();
}
