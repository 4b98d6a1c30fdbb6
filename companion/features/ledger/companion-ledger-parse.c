/* companion-ledger-parse.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "companion-ledger"

#include "config.h"

#include <string.h>

#include "crossing-protocol.h"
#include "crossing-token.h"

#include "companion-ledger-parse.h"
#include "companion-ledger-record.h"
#include "companion-request.h"

/* ---- the raw text of a member -------------------------------------------- */

typedef struct {
  const char *p;
  const char *end;
} Scan;

static void
skip_space (Scan *s)
{
  while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
    s->p++;
}

static int
hex_value (char c)
{
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

static gboolean
read_hex4 (Scan     *s,
           gunichar *out)
{
  gunichar value = 0;

  if (s->end - s->p < 4)
    return FALSE;
  for (int i = 0; i < 4; i++)
    {
      int digit = hex_value (s->p[i]);

      if (digit < 0)
        return FALSE;
      value = value * 16 + (gunichar) digit;
    }
  s->p += 4;
  *out = value;
  return TRUE;
}

/* A string at s->p (the opening quote); decoded into @out when not NULL. */
static gboolean
scan_string (Scan    *s,
             GString *out)
{
  if (s->p >= s->end || *s->p != '"')
    return FALSE;
  s->p++;
  while (s->p < s->end)
    {
      char c = *s->p++;
      gunichar u;

      if (c == '"')
        return TRUE;
      if (c != '\\')
        {
          if (out != NULL)
            g_string_append_c (out, c);
          continue;
        }
      if (s->p >= s->end)
        return FALSE;
      c = *s->p++;
      switch (c)
        {
        case '"': case '\\': case '/':
          u = (gunichar) c;
          break;
        case 'b': u = '\b'; break;
        case 'f': u = '\f'; break;
        case 'n': u = '\n'; break;
        case 'r': u = '\r'; break;
        case 't': u = '\t'; break;
        case 'u':
          if (!read_hex4 (s, &u))
            return FALSE;
          if (u >= 0xd800 && u < 0xdc00)
            {
              gunichar low;

              if (s->end - s->p < 6 || s->p[0] != '\\' || s->p[1] != 'u')
                return FALSE;
              s->p += 2;
              if (!read_hex4 (s, &low) || low < 0xdc00 || low >= 0xe000)
                return FALSE;
              u = 0x10000 + ((u - 0xd800) << 10) + (low - 0xdc00);
            }
          else if (u >= 0xdc00 && u < 0xe000)
            return FALSE;
          break;
        default:
          return FALSE;
        }
      if (out != NULL)
        g_string_append_unichar (out, u);
    }
  return FALSE;
}

/* Any value at s->p, nested at most CROSSING_JSON_MAX_DEPTH deep. */
static gboolean
scan_value (Scan *s)
{
  guint depth = 0;

  do
    {
      if (s->p >= s->end)
        return FALSE;
      if (*s->p == '"')
        {
          if (!scan_string (s, NULL))
            return FALSE;
        }
      else if (*s->p == '{' || *s->p == '[')
        {
          if (++depth > 32)
            return FALSE;
          s->p++;
        }
      else if (*s->p == '}' || *s->p == ']')
        {
          if (depth == 0)
            return FALSE;
          depth--;
          s->p++;
        }
      else
        {
          const char *start = s->p;

          while (s->p < s->end && strchr (",:]} \t\r\n\"{[", *s->p) == NULL)
            s->p++;
          if (s->p == start)
            s->p++;   /* a comma or colon between members of a nested value */
        }
      skip_space (s);
    }
  while (depth > 0);
  return TRUE;
}

gboolean
companion_ledger_raw_member (const char   *data,
                             gsize         len,
                             const char   *name,
                             const char  **out_value,
                             gsize        *out_value_len)
{
  Scan s = { data, data + len };
  g_autoptr(GString) key = g_string_new (NULL);
  gboolean found = FALSE;

  g_return_val_if_fail (name != NULL && out_value != NULL && out_value_len != NULL, FALSE);

  if (data == NULL)
    return FALSE;
  skip_space (&s);
  if (s.p >= s.end || *s.p++ != '{')
    return FALSE;
  skip_space (&s);
  if (s.p < s.end && *s.p == '}')
    return FALSE;

  while (s.p < s.end)
    {
      const char *value;

      g_string_truncate (key, 0);
      if (!scan_string (&s, key))
        return FALSE;
      skip_space (&s);
      if (s.p >= s.end || *s.p++ != ':')
        return FALSE;
      skip_space (&s);
      value = s.p;
      if (!scan_value (&s))
        return FALSE;
      if (strlen (key->str) == key->len && strcmp (key->str, name) == 0)
        {
          const char *value_end = s.p;

          /* scan_value() skipped the white space after the value. */
          while (value_end > value && strchr (" \t\r\n", value_end[-1]) != NULL)
            value_end--;
          *out_value = value;
          *out_value_len = (gsize) (value_end - value);
          found = TRUE;
        }
      if (s.p < s.end && *s.p == ',')
        {
          s.p++;
          skip_space (&s);
          continue;
        }
      return found && s.p < s.end && *s.p == '}';
    }
  return FALSE;
}

/* ---- integers ------------------------------------------------------------ */

/* The member as an integer from -(2^53 - 1) to 2^53 - 1 that json-glib and
 * the raw text agree on: -?(0|[1-9][0-9]*), nothing else. */
static gboolean
read_strict_integer (JsonObject  *body,
                     const char  *raw,
                     gsize        raw_len,
                     const char  *field,
                     gboolean    *out_present,
                     gint64      *out)
{
  JsonNode *node = json_object_get_member (body, field);
  const char *token;
  gsize token_len;
  g_autofree char *text = NULL;
  gint64 value;

  *out_present = node != NULL;
  if (node == NULL)
    return FALSE;
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64)
    return FALSE;
  if (!companion_ledger_raw_member (raw, raw_len, field, &token, &token_len) ||
      token_len == 0 || token_len > 17)
    return FALSE;

  text = g_strndup (token, token_len);
  for (gsize i = text[0] == '-' ? 1 : 0; text[i] != '\0'; i++)
    if (!g_ascii_isdigit (text[i]))
      return FALSE;
  if (!g_ascii_string_to_signed (text, 10, -COMPANION_LEDGER_MAX_AMOUNT,
                                 COMPANION_LEDGER_MAX_AMOUNT, &value, NULL))
    return FALSE;
  if (value != json_node_get_int (node))
    return FALSE;
  *out = value;
  return TRUE;
}

gboolean
companion_ledger_read_amount (JsonObject  *body,
                              const char  *raw,
                              gsize        raw_len,
                              const char  *field,
                              gboolean     is_signed,
                              gboolean     required,
                              gint64      *out,
                              GError     **error)
{
  gboolean present;
  gint64 value = 0;

  *out = 0;
  if (!read_strict_integer (body, raw, raw_len, field, &present, &value))
    {
      if (!present && !required)
        return TRUE;
      return companion_fail (error, CROSSING_ERROR_INVALID_AMOUNT);
    }
  if (value == 0 || (!is_signed && value < 0))
    return companion_fail (error, CROSSING_ERROR_INVALID_AMOUNT);
  *out = value;
  return TRUE;
}

gboolean
companion_ledger_read_integer (JsonObject  *body,
                               const char  *raw,
                               gsize        raw_len,
                               const char  *field,
                               gint64       min,
                               gint64       max,
                               gint64       fallback,
                               gint64      *out,
                               GError     **error)
{
  gboolean present;
  gint64 value = 0;

  if (!read_strict_integer (body, raw, raw_len, field, &present, &value))
    {
      if (!present || JSON_NODE_HOLDS_NULL (json_object_get_member (body, field)))
        {
          *out = fallback;
          return TRUE;
        }
      return companion_invalid_request (error, "The field %s must be an integer", field);
    }
  if (value < min || value > max)
    return companion_invalid_request (error, "The field %s must be from %" G_GINT64_FORMAT
                                      " to %" G_GINT64_FORMAT, field, min, max);
  *out = value;
  return TRUE;
}

/* ---- assets, keys, cursors, fingerprints --------------------------------- */

gboolean
companion_ledger_parse_asset (const char  *value,
                              char       **out_code,
                              guint       *out_scale)
{
  const char *colon = value != NULL ? strchr (value, ':') : NULL;
  guint64 scale;

  if (colon == NULL || colon == value || colon - value > 32 ||
      !g_ascii_string_to_unsigned (colon + 1, 10, 0, 18, &scale, NULL))
    return FALSE;
  *out_code = g_strndup (value, (gsize) (colon - value));
  *out_scale = (guint) scale;
  return TRUE;
}

gboolean
companion_ledger_key_is_valid (const char *key)
{
  gsize len = 0;

  if (key == NULL)
    return FALSE;
  for (; key[len] != '\0'; len++)
    if (!g_ascii_isalnum (key[len]) && strchr ("_:.-", key[len]) == NULL)
      return FALSE;
  return len >= 1 && len <= COMPANION_LEDGER_MAX_KEY_CHARS;
}

#define CURSOR_VERSION "c1"

/* What a cursor is bound to: the user and the filter, hashed so the
 * cursor stays short whatever they are. */
static char *
cursor_binding (const char *user_id,
                const char *asset)
{
  g_autofree char *text = g_strdup_printf ("%s\n%s", user_id, asset != NULL ? asset : "*");
  g_autofree char *hash = crossing_sha256_hex (text, strlen (text));

  return g_strndup (hash, 16);
}

char *
companion_ledger_cursor_new (gint64      before_seq,
                             const char *user_id,
                             const char *asset)
{
  g_autofree char *binding = cursor_binding (user_id, asset);
  g_autofree char *text = g_strdup_printf (CURSOR_VERSION ".%" G_GINT64_FORMAT ".%s",
                                           before_seq, binding);
  g_autofree char *encoded = g_base64_encode ((const guchar *) text, strlen (text));

  /* URL-safe, no padding: it goes into a query string as it is. */
  g_strdelimit (encoded, "+", '-');
  g_strdelimit (encoded, "/", '_');
  g_strdelimit (encoded, "=", '\0');
  return g_strdup (encoded);
}

gboolean
companion_ledger_cursor_parse (const char *cursor,
                               const char *user_id,
                               const char *asset,
                               gint64     *out_before_seq)
{
  g_autofree char *padded = NULL;
  g_autofree guchar *decoded = NULL;
  g_autofree char *text = NULL;
  g_autofree char *binding = NULL;
  g_auto(GStrv) parts = NULL;
  gsize len, decoded_len;
  guint64 seq;

  if (cursor == NULL)
    return FALSE;
  len = strlen (cursor);
  if (len == 0 || len > COMPANION_LEDGER_MAX_CURSOR_CHARS || len % 4 == 1)
    return FALSE;
  for (gsize i = 0; i < len; i++)
    if (!g_ascii_isalnum (cursor[i]) && cursor[i] != '-' && cursor[i] != '_')
      return FALSE;

  padded = g_strnfill (len + (4 - len % 4) % 4, '=');
  memcpy (padded, cursor, len);
  g_strdelimit (padded, "-", '+');
  g_strdelimit (padded, "_", '/');
  decoded = g_base64_decode (padded, &decoded_len);
  text = g_strndup ((const char *) decoded, decoded_len);
  if (strlen (text) != decoded_len)
    return FALSE;

  parts = g_strsplit (text, ".", -1);
  if (g_strv_length (parts) != 3 || strcmp (parts[0], CURSOR_VERSION) != 0 ||
      !g_ascii_string_to_unsigned (parts[1], 10, 1, G_MAXINT64, &seq, NULL))
    return FALSE;
  binding = cursor_binding (user_id, asset);
  if (strcmp (parts[2], binding) != 0)
    return FALSE;
  *out_before_seq = (gint64) seq;
  return TRUE;
}

char *
companion_ledger_fingerprint (const char        *route,
                              const char *const *fields,
                              gsize              n_fields)
{
  g_autoptr(GString) text = g_string_new (NULL);

  g_string_append_printf (text, "%zu:%s", strlen (route), route);
  for (gsize i = 0; i < n_fields; i++)
    {
      if (fields[i] == NULL)
        g_string_append (text, "-;");
      else
        g_string_append_printf (text, "%zu:%s", strlen (fields[i]), fields[i]);
    }
  return crossing_sha256_hex (text->str, text->len);
}

/* ---- issue 12: a hold approved on the phone ----------------------------- */

char *
companion_ledger_format_major (gint64 amount,
                               guint  scale)
{
  g_autofree char *digits = NULL;
  gsize len;

  g_return_val_if_fail (amount >= 0, NULL);

  digits = g_strdup_printf ("%0*" G_GINT64_FORMAT, (int) MIN (scale, 64) + 1, amount);
  if (scale == 0)
    return g_steal_pointer (&digits);
  len = strlen (digits);
  return g_strdup_printf ("%.*s.%s", (int) (len - scale), digits, digits + len - scale);
}

char *
companion_ledger_payload_hash (const char *reservation_id,
                               const char *user_id,
                               const char *asset,
                               gint64      amount)
{
  g_autofree char *text = g_strdup_printf ("crossing-ledger-v1\n%s\n%s\n%s\n%" G_GINT64_FORMAT,
                                           reservation_id, user_id, asset, amount);

  return crossing_sha256_hex (text, strlen (text));
}
