/* fuzz-ledger.c: the ledger's request parser (amounts, assets, keys, cursors)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The input is tried as everything the ledger reads from the network: a
 * body (the raw member scanner on any bytes; on strict JSON, the amount
 * and integer readers, which must agree with json-glib), an idempotency
 * key, an asset setting and a cursor. Properties, beyond not crashing: on
 * strict JSON the scanner finds a member exactly when json-glib has it; an
 * accepted amount is json-glib's integer, in range, written as plain
 * digits; a cursor that parses was made for its user and filter.
 */
#define G_LOG_DOMAIN "fuzz"

#include "config.h"

#include <json-glib/json-glib.h>
#include <string.h>

#include "crossing-json.h"

#include "companion-approve.h"
#include "companion-ledger-parse.h"
#include "companion-ledger-record.h"

#include "fuzz-common.h"

static void
check_amount (JsonObject *body,
              const char *text,
              gsize       len,
              gboolean    is_signed)
{
  g_autoptr(GError) error = NULL;
  gint64 amount = 0;
  const char *raw;
  gsize raw_len;

  if (!companion_ledger_read_amount (body, text, len, "amount", is_signed, TRUE, &amount, &error))
    {
      g_assert_nonnull (error);
      return;
    }
  g_assert_no_error (error);
  g_assert_cmpint (amount, !=, 0);
  g_assert_cmpint (amount, <=, COMPANION_LEDGER_MAX_AMOUNT);
  g_assert_cmpint (amount, >=, is_signed ? -COMPANION_LEDGER_MAX_AMOUNT : 1);
  g_assert_cmpint (amount, ==, json_object_get_int_member (body, "amount"));
  /* issue 12: in major units at every scale, the same digits with a point. */
  if (amount > 0)
    {
      g_autofree char *digits = g_strdup_printf ("%" G_GINT64_FORMAT, amount);

      for (guint scale = 0; scale <= 18; scale++)
        {
          g_autofree char *major = companion_ledger_format_major (amount, scale);
          g_autofree char *scale_text = g_strdup_printf ("%u", scale);
          g_autofree char *shown = companion_approve_format_amount (digits, NULL, scale_text);
          g_autoptr(GString) plain = g_string_new (NULL);
          const char *point = strchr (major, '.');

          g_assert_cmpstr (major, ==, shown);
          g_assert_true (scale == 0 ? point == NULL : strlen (point + 1) == scale);
          for (const char *c = major; *c != '\0'; c++)
            if (*c != '.')
              g_string_append_c (plain, *c);
          g_assert_cmpint (g_ascii_strtoll (plain->str, NULL, 10), ==, amount);
        }
    }
  g_assert_true (companion_ledger_raw_member (text, len, "amount", &raw, &raw_len));
  for (gsize i = raw[0] == '-' ? 1 : 0; i < raw_len; i++)
    g_assert_true (g_ascii_isdigit (raw[i]));
}

static void
fuzz_body (const char *text,
           gsize       len)
{
  g_autoptr(JsonParser) parser = NULL;
  g_autoptr(GError) error = NULL;
  JsonNode *root;
  JsonObject *body;
  JsonObjectIter iter;
  const char *name;
  gint64 seconds = 0;

  /* As the core does before a handler sees the body. */
  if (!g_utf8_validate (text, (gssize) len, NULL) || memchr (text, '\0', len) != NULL ||
      !crossing_json_is_strict (text, len, CROSSING_JSON_MAX_DEPTH))
    return;
  parser = json_parser_new ();
  if (!json_parser_load_from_data (parser, text, (gssize) len, NULL))
    return;
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return;
  body = json_node_get_object (root);

  /* Every member json-glib has, the scanner finds (names without a NUL:
   * json-glib ends a name at an escaped one, the core refuses those). */
  json_object_iter_init (&iter, body);
  while (json_object_iter_next (&iter, &name, NULL))
    {
      const char *raw;
      gsize raw_len;

      if (strstr (text, "\\u0000") != NULL)
        break;
      g_assert_true (companion_ledger_raw_member (text, len, name, &raw, &raw_len));
      g_assert_true (raw >= text && raw + raw_len <= text + len);
    }

  check_amount (body, text, len, FALSE);
  check_amount (body, text, len, TRUE);
  if (companion_ledger_read_integer (body, text, len, "expiresInSeconds", 1, 604800, 900,
                                     &seconds, &error))
    g_assert_true (seconds >= 1 && seconds <= 604800);
}

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  g_autofree char *text = fuzz_strndup (data, size);
  g_autofree char *code = NULL;
  const char *raw;
  gsize raw_len;
  guint scale;
  gint64 seq = 0;

  fuzz_init_glib ();

  /* Any bytes at all: the scanner stays inside them. */
  if (companion_ledger_raw_member ((const char *) data, size, "amount", &raw, &raw_len))
    g_assert_true (raw >= (const char *) data && raw + raw_len <= (const char *) data + size);
  fuzz_body (text, size);

  if (companion_ledger_key_is_valid (text))
    g_assert_cmpuint (strlen (text), <=, COMPANION_LEDGER_MAX_KEY_CHARS);
  /* issue 12: the terminal phone's reading of a transaction's details. */
  g_free (companion_approve_format_amount (text, text, text));
  g_free (companion_approve_format_amount (text, "eur", "2"));
  if (companion_ledger_parse_asset (text, &code, &scale))
    g_assert_true (strlen (code) >= 1 && strlen (code) <= 32 && scale <= 18);

  /* A cursor is good for the user and filter it was made for only. */
  if (companion_ledger_cursor_parse (text, "user", "coin", &seq))
    {
      g_autofree char *again = companion_ledger_cursor_new (seq, "user", "coin");
      gint64 seq_again = 0;

      g_assert_cmpint (seq, >=, 1);
      g_assert_true (companion_ledger_cursor_parse (again, "user", "coin", &seq_again));
      g_assert_cmpint (seq_again, ==, seq);
      g_assert_false (companion_ledger_cursor_parse (text, "user", NULL, &seq_again));
      g_assert_false (companion_ledger_cursor_parse (text, "other", "coin", &seq_again));
    }
  return 0;
}
