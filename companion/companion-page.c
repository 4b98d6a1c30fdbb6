/* companion-page.c: the phone approval page
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Three files compiled into the program. Only their exact names are served,
 * so no request path ever reaches a file system.
 */
#define G_LOG_DOMAIN "companion-page"

#include "config.h"

#include <string.h>

#include "crossing-protocol.h"
#include "crossing-token.h"

#include "companion-page.h"
#include "companion-page-resources.h"

#define RESOURCE_DIR "/dev/crossing/companion/page/"

/* The page runs only its own files and talks only to its own origin. */
static const char content_security_policy[] =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
  "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

static const struct {
  const char *path;
  const char *file;
  const char *content_type;
} assets[] = {
  { "assets/claim.js", "claim.js", "text/javascript; charset=utf-8" },
  { "assets/claim.css", "claim.css", "text/css; charset=utf-8" },
};

static void
set_security_headers (SoupServerMessage *msg)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);

  soup_message_headers_replace (headers, "Content-Security-Policy", content_security_policy);
  soup_message_headers_replace (headers, "Referrer-Policy", "no-referrer");
  soup_message_headers_replace (headers, "X-Content-Type-Options", "nosniff");
  soup_message_headers_replace (headers, "X-Frame-Options", "DENY");
  soup_message_headers_replace (headers, "Cache-Control", "no-store");
}

static void
send_error (SoupServerMessage *msg,
            CrossingError      code)
{
  g_autofree char *body = g_strdup_printf ("{\"code\":\"%s\",\"message\":\"%s\"}",
                                           crossing_error_to_code (code),
                                           crossing_error_default_message (code));

  soup_server_message_set_status (msg, crossing_error_to_http_status (code), NULL);
  soup_server_message_set_response (msg, "application/json; charset=utf-8", SOUP_MEMORY_TAKE,
                                    g_steal_pointer (&body), strlen (body));
}

static GBytes *
lookup (const char *file)
{
  g_autofree char *path = g_strconcat (RESOURCE_DIR, file, NULL);

  return g_resource_lookup_data (companion_page_get_resource (), path,
                                 G_RESOURCE_LOOKUP_FLAGS_NONE, NULL);
}

static void
send_bytes (SoupServerMessage *msg,
            const char        *content_type,
            GBytes            *bytes)
{
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_message_headers_set_content_type (soup_server_message_get_response_headers (msg),
                                         content_type, NULL);
  soup_message_body_append_bytes (soup_server_message_get_response_body (msg), bytes);
}

static void
send_page (SoupServerMessage *msg,
           const char        *api_base)
{
  g_autoptr(GBytes) html = lookup ("claim.html");
  g_autoptr(GString) page = NULL;
  g_autofree char *escaped = g_markup_escape_text (api_base, -1);
  g_autoptr(GBytes) bytes = NULL;
  gsize len;

  page = g_string_new_len (g_bytes_get_data (html, &len), (gssize) g_bytes_get_size (html));
  g_string_replace (page, "@API_BASE@", escaped, 1);
  len = page->len;
  bytes = g_bytes_new_take (g_string_free (g_steal_pointer (&page), FALSE), len);
  send_bytes (msg, "text/html; charset=utf-8", bytes);
}

void
companion_page_handle (SoupServerMessage *msg,
                       const char        *rel_path,
                       const char        *api_base)
{
  const char *method = soup_server_message_get_method (msg);

  set_security_headers (msg);

  if (method != SOUP_METHOD_GET && method != SOUP_METHOD_HEAD)
    {
      soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Allow",
                                    "GET, HEAD");
      send_error (msg, CROSSING_ERROR_METHOD_NOT_ALLOWED);
      return;
    }

  if (g_str_has_prefix (rel_path, "claim/") &&
      crossing_token_is_well_formed (rel_path + strlen ("claim/")))
    {
      send_page (msg, api_base);
      return;
    }

  for (guint i = 0; i < G_N_ELEMENTS (assets); i++)
    if (strcmp (rel_path, assets[i].path) == 0)
      {
        g_autoptr(GBytes) bytes = lookup (assets[i].file);

        send_bytes (msg, assets[i].content_type, bytes);
        return;
      }

  send_error (msg, CROSSING_ERROR_NOT_FOUND);
}
