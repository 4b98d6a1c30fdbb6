/* companion-page.c: the phone approval page
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The page's files are compiled into the program. A request names one of them
 * only by matching an entry of the table below exactly, so no request path is
 * ever turned into a file name and nothing outside the bundle can be served.
 */
#define G_LOG_DOMAIN "companion-page"

#include "config.h"

#include <string.h>

#include <json-glib/json-glib.h>

#include "crossing-protocol.h"
#include "crossing-token.h"

#include "companion-page.h"
#include "companion-page-resources.h"

#define RESOURCE_DIR   "/dev/crossing/companion/page/"
#define CLAIM_PREFIX   "claim/"
#define API_MARKER     "@API_BASE@"

/* The page runs only its own files and talks only to its own origin. */
static const char content_security_policy[] =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
  "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

static const struct {
  const char *path;          /* relative to {publicPrefix}/cross-device/ */
  const char *file;          /* in the resource bundle */
  const char *content_type;
} assets[] = {
  { "assets/claim.js",  "claim.js",  "text/javascript; charset=utf-8" },
  { "assets/claim.css", "claim.css", "text/css; charset=utf-8" },
  { "assets/icon.svg",  "icon.svg",  "image/svg+xml; charset=utf-8" },
};

static void
set_security_headers (SoupServerMessage *msg)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);

  soup_message_headers_replace (headers, "Content-Security-Policy", content_security_policy);
  soup_message_headers_replace (headers, "Referrer-Policy", "no-referrer");
  soup_message_headers_replace (headers, "X-Content-Type-Options", "nosniff");
  soup_message_headers_replace (headers, "X-Frame-Options", "DENY");
  /* The URL carries a claim token: nothing may keep a copy of the page. */
  soup_message_headers_replace (headers, "Cache-Control", "no-store");
}

static void
send_error (SoupServerMessage *msg,
            CrossingError      code)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  char *body;
  gsize len;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "code");
  json_builder_add_string_value (builder, crossing_error_to_code (code));
  json_builder_set_member_name (builder, "message");
  json_builder_add_string_value (builder, crossing_error_default_message (code));
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  body = json_generator_to_data (generator, &len);

  soup_server_message_set_status (msg, crossing_error_to_http_status (code), NULL);
  soup_server_message_set_response (msg, "application/json; charset=utf-8", SOUP_MEMORY_TAKE,
                                    body, len);
}

static GBytes *
lookup (const char *file)
{
  g_autofree char *path = g_strconcat (RESOURCE_DIR, file, NULL);
  g_autoptr(GError) error = NULL;
  GBytes *bytes;

  bytes = g_resource_lookup_data (companion_page_get_resource (), path,
                                  G_RESOURCE_LOOKUP_FLAGS_NONE, &error);
  /* Only names from the table above get here, and they are all bundled. */
  g_assert_no_error (error);
  return bytes;
}

static void
send_bytes (SoupServerMessage *msg,
            const char        *content_type,
            GBytes            *bytes)
{
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                "Content-Type", content_type);
  soup_message_body_append_bytes (soup_server_message_get_response_body (msg), bytes);
}

/* The HTML is the same for every order; the script reads the order from the
 * URL and the API's path from a meta element, so no script is inlined. */
static void
send_page (SoupServerMessage *msg,
           const char        *api_base)
{
  g_autoptr(GBytes) html = lookup ("claim.html");
  g_autofree char *escaped = g_markup_escape_text (api_base, -1);
  GString *page;
  gsize len;

  page = g_string_new_len (g_bytes_get_data (html, NULL), (gssize) g_bytes_get_size (html));
  g_string_replace (page, API_MARKER, escaped, 1);
  len = page->len;
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (msg, "text/html; charset=utf-8", SOUP_MEMORY_TAKE,
                                    g_string_free (page, FALSE), len);
}

static gboolean
is_claim_page (const char *rel_path)
{
  return g_str_has_prefix (rel_path, CLAIM_PREFIX) &&
         crossing_token_is_well_formed (rel_path + strlen (CLAIM_PREFIX));
}

void
companion_page_handle (SoupServerMessage *msg,
                       const char        *rel_path,
                       const char        *api_base)
{
  const char *method;

  g_return_if_fail (SOUP_IS_SERVER_MESSAGE (msg));
  g_return_if_fail (rel_path != NULL);
  g_return_if_fail (api_base != NULL);

  method = soup_server_message_get_method (msg);
  set_security_headers (msg);

  if (method != SOUP_METHOD_GET && method != SOUP_METHOD_HEAD)
    {
      soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                    "Allow", "GET, HEAD");
      send_error (msg, CROSSING_ERROR_METHOD_NOT_ALLOWED);
      return;
    }

  if (is_claim_page (rel_path))
    {
      send_page (msg, api_base);
      return;
    }

  for (gsize i = 0; i < G_N_ELEMENTS (assets); i++)
    {
      if (strcmp (rel_path, assets[i].path) == 0)
        {
          g_autoptr(GBytes) bytes = lookup (assets[i].file);

          send_bytes (msg, assets[i].content_type, bytes);
          return;
        }
    }

  send_error (msg, CROSSING_ERROR_NOT_FOUND);
}
