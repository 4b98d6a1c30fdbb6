/* companion-request.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "companion-request"

#include "config.h"

#include <libsoup/soup.h>

#include "crossing-protocol.h"
#include "crossing-token.h"

#include "companion-request.h"

const char *
companion_request_get_header (const CompanionRequest *request,
                              const char             *name)
{
  g_return_val_if_fail (request != NULL, NULL);

  if (request->headers == NULL)
    return NULL;
  return soup_message_headers_get_one (request->headers, name);
}

const char *
companion_request_get_cookie (const CompanionRequest *request,
                              const char             *name)
{
  g_return_val_if_fail (request != NULL, NULL);

  return request->cookies != NULL ? g_hash_table_lookup (request->cookies, name) : NULL;
}

const char *
companion_request_get_query (const CompanionRequest *request,
                             const char             *name)
{
  g_return_val_if_fail (request != NULL, NULL);

  return request->query != NULL ? g_hash_table_lookup (request->query, name) : NULL;
}

gboolean
companion_fail (GError **error,
                gint     code)
{
  g_set_error_literal (error, CROSSING_ERROR, code, crossing_error_default_message (code));
  return FALSE;
}

gboolean
companion_invalid_request (GError     **error,
                           const char  *format,
                           ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error_literal (error, CROSSING_ERROR, CROSSING_ERROR_INVALID_REQUEST, message);
  return FALSE;
}

gboolean
companion_json_get_string (JsonObject  *object,
                           const char  *field,
                           gboolean     required,
                           guint        max_chars,
                           const char **out,
                           GError     **error)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, field) : NULL;

  *out = NULL;
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    {
      if (required)
        return companion_invalid_request (error, "The field %s is required", field);
      return TRUE;
    }

  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    return companion_invalid_request (error, "The field %s must be a string", field);

  *out = json_node_get_string (node);
  if (!crossing_string_is_clean (*out))
    return companion_invalid_request (error, "The field %s contains a control character", field);
  if (g_utf8_strlen (*out, -1) > max_chars)
    return companion_invalid_request (error, "The field %s is too long", field);
  return TRUE;
}

gboolean
companion_json_get_object (JsonObject  *object,
                           const char  *field,
                           JsonObject **out,
                           GError     **error)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, field) : NULL;

  *out = NULL;
  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return companion_invalid_request (error, "The field %s must be an object", field);
  *out = json_node_get_object (node);
  return TRUE;
}

gboolean
companion_request_get_string (const CompanionRequest *request,
                              const char             *field,
                              gboolean                required,
                              guint                   max_chars,
                              const char            **out,
                              GError                **error)
{
  return companion_json_get_string (request->body, field, required, max_chars, out, error);
}

gboolean
companion_request_get_token (const CompanionRequest *request,
                             const char             *field,
                             gint                    not_found_code,
                             const char            **out,
                             GError                **error)
{
  if (!companion_request_get_string (request, field, TRUE, COMPANION_MAX_TOKEN_FIELD, out, error))
    return FALSE;

  if (!crossing_token_is_well_formed (*out))
    {
      g_set_error_literal (error, CROSSING_ERROR, not_found_code,
                           crossing_error_default_message (not_found_code));
      return FALSE;
    }
  return TRUE;
}

gboolean
companion_request_check_body (const CompanionRequest  *request,
                              GError                 **error)
{
  if (request->body_error == NULL)
    return TRUE;
  g_propagate_error (error, g_error_copy (request->body_error));
  return FALSE;
}
