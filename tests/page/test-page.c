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
  const char *accept_language = soup_message_headers_get_one (headers, "Accept-Language");

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
    companion_page_serve (rel_path, HOSTILE_API_BASE, accept_language, reply);
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
request_in (Fixture    *f,
            const char *method,
            const char *path,
            const char *rel_path,
            const char *accept_language)
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
  if (accept_language != NULL)
    soup_message_headers_replace (soup_message_get_request_headers (msg), "Accept-Language",
                                  accept_language);
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

static Response *
request (Fixture    *f,
         const char *method,
         const char *path,
         const char *rel_path)
{
  return request_in (f, method, path, rel_path, NULL);
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
  g_assert_null (strstr (html, "{{"));
}

/* The entry screen for a typed code is the same page, one level up. */
static void
test_code_page_served (Fixture       *f,
                       gconstpointer  data)
{
  g_autoptr(Response) code = request (f, "GET", "code?user_code=BCDF-GHJK", NULL);
  g_autoptr(Response) claim = request (f, "GET", "claim/order1", NULL);
  const char *html;

  g_assert_cmpuint (code->status, ==, 200);
  g_assert_cmpstr (soup_message_headers_get_one (code->headers, "Content-Type"), ==,
                   "text/html; charset=utf-8");
  assert_security_headers (code);
  html = body_text (code);
  g_assert_nonnull (strstr (html, "<meta name=\"crossing-screen\" content=\"code\">"));
  g_assert_nonnull (strstr (html, "<script src=\"assets/claim.js\" defer>"));
  g_assert_nonnull (strstr (html, "<link rel=\"stylesheet\" href=\"assets/claim.css\">"));
  g_assert_nonnull (strstr (html, "<input id=\"user-code\""));
  /* The code in the link is the script's to read, never the server's to echo. */
  g_assert_null (strstr (html, "BCDF"));
  g_assert_null (strstr (html, "{{"));
  g_assert_nonnull (strstr (body_text (claim), "<meta name=\"crossing-screen\" content=\"claim\">"));
  g_assert_nonnull (strstr (body_text (claim), "<script src=\"../assets/claim.js\" defer>"));
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
    "code/",
    "code/x",
    "codes",
    "CODE",
    "code.html",
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

/* Languages ---------------------------------------------------------------- */

static void
test_language_choice (void)
{
  static const char *cases[][2] = {
    { NULL, "en" },
    { "", "en" },
    { "de", "de" },
    { "de-CH", "de" },
    { "DE-at", "de" },
    { "  de  ", "de" },
    { "fr", "en" },
    { "deu", "en" },
    { "d", "en" },
    { "*", "en" },
    { "fr, de;q=0.5", "de" },
    { "en;q=0.5, de;q=0.8", "de" },
    { "en-GB,en;q=0.9,de;q=0.8", "en" },
    { "de;q=0.5, en;q=0.5", "de" },
    { "en;q=0.5, de;q=0.5", "en" },
    { "de;q=0, en;q=0.1", "en" },
    { "de;q=0", "en" },
    { "de;q=0.000", "en" },
    { "de;q=1.000", "de" },
    { "de;Q=0.9", "de" },
    { "de ; q=0.7 , fr", "de" },
    { "de;level=1;q=0.4, fr", "de" },
    { "de;q=1.5", "en" },
    { "de;q=-1", "en" },
    { "de;q=abc", "en" },
    { "de;q=0.0001", "en" },
    { "de;q=", "en" },
    { "de;q=0.5x", "en" },
    { "de;q=1e0", "en" },
    { ",,,;;;,", "en" },
    { ";q=1", "en" },
    { "de-", "de" },
    { "\xff\xfe, de", "de" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *shown = cases[i][0] != NULL ? g_strescape (cases[i][0], NULL) : NULL;

      g_test_message ("%s", shown != NULL ? shown : "(null)");
      g_assert_cmpstr (companion_page_choose_language (cases[i][0]), ==, cases[i][1]);
    }
}

/* A header of thousands of ranges is weighed only in its first few. */
static void
test_language_choice_long_header (void)
{
  g_autoptr(GString) header = g_string_new (NULL);

  for (guint i = 0; i < 5000; i++)
    g_string_append (header, "fr;q=0.9, ");
  g_string_append (header, "de");
  g_assert_cmpstr (companion_page_choose_language (header->str), ==, "en");
  g_assert_cmpstr (companion_page_choose_language ("fr, de"), ==, "de");
}

static void
test_page_in_german (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(Response) german = request_in (f, "GET", "claim/order1", NULL,
                                           "fr-FR, de-DE;q=0.9, en;q=0.8");
  g_autoptr(Response) english = request_in (f, "GET", "claim/order1", NULL, "fr-FR");
  g_autoptr(Response) plain = request (f, "GET", "claim/order1", NULL);

  g_assert_cmpuint (german->status, ==, 200);
  g_assert_true (g_str_has_prefix (body_text (german), "<!DOCTYPE html>\n<html lang=\"de\">"));
  g_assert_cmpstr (soup_message_headers_get_one (german->headers, "Content-Language"), ==, "de");
  g_assert_cmpstr (soup_message_headers_get_one (german->headers, "Vary"), ==, "Accept-Language");
  g_assert_nonnull (strstr (body_text (german), ">Bestätigen</button>"));
  g_assert_null (strstr (body_text (german), ">Approve</button>"));

  g_assert_true (g_str_has_prefix (body_text (english), "<!DOCTYPE html>\n<html lang=\"en\">"));
  g_assert_cmpstr (soup_message_headers_get_one (english->headers, "Content-Language"), ==, "en");
  g_assert_nonnull (strstr (body_text (english), ">Approve</button>"));
  g_assert_cmpstr (body_text (plain), ==, body_text (english));
}

/* The catalog --------------------------------------------------------------- */

GResource *companion_page_get_resource (void);

#define PAGE_RESOURCE "/dev/crossing/companion/page/"
/* What the companion fills in itself, not words. */
static const char *const settings[] = { "lang", "api", "assets", "screen", "catalog" };

static char *
page_file (const char *name)
{
  g_autofree char *path = g_strconcat (PAGE_RESOURCE, name, NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = g_resource_lookup_data (companion_page_get_resource (), path,
                                                    G_RESOURCE_LOOKUP_FLAGS_NONE, &error);

  g_assert_no_error (error);
  return g_strndup (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
}

static JsonObject *
load_catalog (const char *language)
{
  g_autoptr(GBytes) bytes = companion_page_get_catalog (language);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  JsonNode *root;

  json_parser_load_from_data (parser, g_bytes_get_data (bytes, NULL),
                              (gssize) g_bytes_get_size (bytes), &error);
  g_assert_no_error (error);
  root = json_parser_get_root (parser);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (root));
  return json_object_ref (json_node_get_object (root));
}

static int
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return g_strcmp0 (*(const char * const *) a, *(const char * const *) b);
}

/* The "{name}" slots of a message, sorted and joined. */
static char *
slots_of (const char *text)
{
  g_autoptr(GRegex) slot = g_regex_new ("\\{[a-z_]+\\}", 0, 0, NULL);
  g_autoptr(GMatchInfo) match = NULL;
  g_autoptr(GPtrArray) found = g_ptr_array_new_with_free_func (g_free);

  g_regex_match (slot, text, 0, &match);
  while (g_match_info_matches (match))
    {
      g_ptr_array_add (found, g_match_info_fetch (match, 0));
      g_match_info_next (match, NULL);
    }
  g_ptr_array_sort (found, compare_strings);
  g_ptr_array_add (found, NULL);
  return g_strjoinv (",", (char **) found->pdata);
}

static void
test_catalogs_complete (void)
{
  guint n_languages;
  const char * const *languages = companion_page_get_languages (&n_languages);
  g_autoptr(JsonObject) english = load_catalog ("en");
  g_autoptr(GList) names = json_object_get_members (english);

  g_assert_cmpstr (languages[0], ==, "en");
  g_assert_cmpuint (n_languages, >=, 2);
  g_assert_cmpuint (g_list_length (names), >, 50);
  for (guint i = 0; i < n_languages; i++)
    {
      g_autoptr(JsonObject) catalog = load_catalog (languages[i]);
      g_autoptr(GList) own = json_object_get_members (catalog);

      g_test_message ("%s", languages[i]);
      /* Nothing missing, nothing extra, nothing empty, the same slots. */
      g_assert_cmpuint (g_list_length (own), ==, g_list_length (names));
      for (GList *l = names; l != NULL; l = l->next)
        {
          JsonNode *node = json_object_get_member (catalog, l->data);
          const char *text;
          g_autofree char *slots = NULL;
          g_autofree char *english_slots = NULL;

          if (node == NULL)
            g_error ("%s lacks the message %s", languages[i], (const char *) l->data);
          g_assert_true (JSON_NODE_HOLDS_VALUE (node));
          g_assert_cmpint (json_node_get_value_type (node), ==, G_TYPE_STRING);
          text = json_node_get_string (node);
          g_assert_cmpstr (text, !=, "");
          g_assert_true (g_utf8_validate (text, -1, NULL));
          slots = slots_of (text);
          english_slots = slots_of (json_object_get_string_member (english, l->data));
          g_assert_cmpstr (slots, ==, english_slots);
        }
    }
}

static gboolean
is_setting (const char *name)
{
  for (gsize i = 0; i < G_N_ELEMENTS (settings); i++)
    if (strcmp (settings[i], name) == 0)
      return TRUE;
  return FALSE;
}

/* Adds what @pattern's first group matches in @text to @names. */
static void
collect (const char *pattern,
         const char *text,
         const char *suffixes[],
         GHashTable *names)
{
  g_autoptr(GRegex) regex = g_regex_new (pattern, 0, 0, NULL);
  g_autoptr(GMatchInfo) match = NULL;

  g_assert_nonnull (regex);
  g_regex_match (regex, text, 0, &match);
  while (g_match_info_matches (match))
    {
      g_autofree char *name = g_match_info_fetch (match, 1);

      for (gsize i = 0; suffixes[i] != NULL; i++)
        g_hash_table_add (names, g_strconcat (name, suffixes[i], NULL));
      g_match_info_next (match, NULL);
    }
}

/* Every message the page names is in the catalog, and every message of the
 * catalog is named by the page. */
static void
test_catalog_matches_page (void)
{
  g_autofree char *html = page_file ("claim.html");
  g_autofree char *js = page_file ("claim.js");
  g_autoptr(JsonObject) english = load_catalog ("en");
  g_autoptr(GList) names = json_object_get_members (english);
  g_autoptr(GHashTable) used = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  const char *plain[] = { "", NULL };
  const char *plural[] = { "_one", "_other", NULL };
  GHashTableIter iter;
  gpointer name;

  collect ("\\{\\{([a-z0-9_]+)\\}\\}", html, plain, used);
  collect ("\\bt\\('([a-z0-9_]+)'", js, plain, used);
  collect ("\\btn\\('([a-z0-9_]+)'", js, plural, used);
  collect ("\\btInto\\([^\\n]*?, '([a-z0-9_]+)'", js, plain, used);
  g_assert_cmpuint (g_hash_table_size (used), >, 50);

  g_hash_table_iter_init (&iter, used);
  while (g_hash_table_iter_next (&iter, &name, NULL))
    if (!is_setting (name) && !json_object_has_member (english, name))
      g_error ("the page uses the message %s, which the catalog lacks", (const char *) name);
  for (GList *l = names; l != NULL; l = l->next)
    if (!g_hash_table_contains (used, l->data))
      g_error ("the catalog has the message %s, which the page never uses",
               (const char *) l->data);
}

/* No words written straight into the HTML: between tags there is only
 * "{{name}}", and so in the attributes people read. */
static void
test_html_has_no_words_of_its_own (void)
{
  g_autofree char *html = page_file ("claim.html");
  g_autoptr(GRegex) comments = g_regex_new ("<!--.*?-->", G_REGEX_DOTALL, 0, NULL);
  g_autoptr(GRegex) markers = g_regex_new ("\\{\\{[a-z0-9_]+\\}\\}", 0, 0, NULL);
  g_autoptr(GRegex) text = g_regex_new (">([^<]*[A-Za-z][^<]*)<", 0, 0, NULL);
  g_autoptr(GRegex) read = g_regex_new ("\\s(aria-label|alt|title|placeholder)=\"([^\"]*[A-Za-z][^\"]*)\"",
                                        G_REGEX_CASELESS, 0, NULL);
  g_autoptr(GMatchInfo) match = NULL;
  g_autofree char *bare = NULL;
  g_autofree char *stripped = NULL;

  bare = g_regex_replace_literal (comments, html, -1, 0, "", 0, NULL);
  stripped = g_regex_replace_literal (markers, bare, -1, 0, "", 0, NULL);
  if (g_regex_match (text, stripped, 0, &match))
    g_error ("claim.html has words of its own: %s", g_match_info_fetch (match, 1));
  g_clear_pointer (&match, g_match_info_free);
  if (g_regex_match (read, stripped, 0, &match))
    g_error ("claim.html has words of its own: %s", g_match_info_fetch (match, 2));
  /* The check itself sees words where they are. */
  g_assert_true (g_regex_match (text, "<p>Hello</p>", 0, NULL));
  g_assert_true (g_regex_match (read, "<img alt=\"A cat\">", 0, NULL));
}

/* No words in the script's strings: a literal of two words or more is a
 * sentence (command-line options, shown as code, excepted). */
static void
test_script_has_no_words_of_its_own (void)
{
  g_autofree char *js = page_file ("claim.js");
  g_autoptr(GRegex) comments = g_regex_new ("(^|\\s)//[^\\n]*", 0, 0, NULL);
  g_autoptr(GRegex) literal = g_regex_new ("'((?:[^'\\\\\\n]|\\\\.)*)'|\"((?:[^\"\\\\\\n]|\\\\.)*)\"|"
                                           "`([^`]*)`", 0, 0, NULL);
  g_autoptr(GRegex) words = g_regex_new ("[A-Za-z]{2,}[,.:;!?]?\\s+[A-Za-z]{2,}", 0, 0, NULL);
  g_autoptr(GMatchInfo) match = NULL;
  g_autofree char *code = g_regex_replace_literal (comments, js, -1, 0, "", 0, NULL);
  guint literals = 0;

  g_regex_match (literal, code, 0, &match);
  while (g_match_info_matches (match))
    {
      g_autofree char *text = g_match_info_fetch (match, 0);

      literals++;
      if (!g_str_has_prefix (text + 1, "--") && strcmp (text, "'use strict'") != 0 &&
          g_regex_match (words, text, 0, NULL))
        g_error ("claim.js has words of its own: %s", text);
      g_match_info_next (match, NULL);
    }
  g_assert_cmpuint (literals, >, 100);
  g_assert_true (g_regex_match (words, "'Signing failed.'", 0, NULL));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)

  ADD ("/page/claim/serves-the-same-html-for-any-order", test_claim_page_served);
  ADD ("/page/code/served-as-the-entry-screen", test_code_page_served);
  ADD ("/page/claim/api-base-is-attribute-escaped", test_api_base_escaped);
  ADD ("/page/claim/html-has-no-inline-code-or-remote-assets", test_html_has_no_inline_code);
  ADD ("/page/assets/served-with-type-and-headers", test_assets_served);
  ADD ("/page/method/head-sends-headers-only", test_head_has_headers_only);
  ADD ("/page/method/others-get-405-with-allow", test_other_methods_refused);
  ADD ("/page/path/anything-unknown-is-404", test_unknown_paths_not_found);
  ADD ("/page/path/encoded-traversal-is-404", test_encoded_traversal_in_url);
  ADD ("/page/language/german-page-under-accept-language-de", test_page_in_german);

#undef ADD

  g_test_add_func ("/page/language/accept-language-q-values", test_language_choice);
  g_test_add_func ("/page/language/long-header-is-bounded", test_language_choice_long_header);
  g_test_add_func ("/page/catalog/every-language-is-complete", test_catalogs_complete);
  g_test_add_func ("/page/catalog/matches-the-page-both-ways", test_catalog_matches_page);
  g_test_add_func ("/page/catalog/html-has-no-words-of-its-own", test_html_has_no_words_of_its_own);
  g_test_add_func ("/page/catalog/script-has-no-words-of-its-own",
                   test_script_has_no_words_of_its_own);

  return g_test_run ();
}
