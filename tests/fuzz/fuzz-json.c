/* fuzz-json.c: the strict JSON check in front of json-glib
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * crossing_json_is_strict() decides what json-glib may see, on both sides
 * of the wire. Byte 0 picks the depth. Whatever it accepts, json-glib must
 * parse (without leaking: several values in a row would), to one value
 * nested no deeper than that.
 */
#define G_LOG_DOMAIN "fuzz"

#include "config.h"

#include <json-glib/json-glib.h>
#include <string.h>

#include "crossing-json.h"

#include "fuzz-common.h"

static guint
depth_of (JsonNode *node)
{
  guint deepest = 0;

  if (JSON_NODE_HOLDS_OBJECT (node))
    {
      JsonObjectIter iter;
      JsonNode *member;

      json_object_iter_init (&iter, json_node_get_object (node));
      while (json_object_iter_next (&iter, NULL, &member))
        {
          /* Not inside MAX(), which would evaluate it twice per level. */
          guint depth = depth_of (member);

          deepest = MAX (deepest, depth);
        }
      return deepest + 1;
    }
  if (JSON_NODE_HOLDS_ARRAY (node))
    {
      JsonArray *array = json_node_get_array (node);

      for (guint i = 0; i < json_array_get_length (array); i++)
        {
          guint depth = depth_of (json_array_get_element (array, i));

          deepest = MAX (deepest, depth);
        }
      return deepest + 1;
    }
  return 0;
}

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  g_autoptr(JsonParser) parser = NULL;
  g_autoptr(GError) error = NULL;
  const char *text;
  gsize len;
  guint max_depth;

  if (size < 1)
    return 0;
  fuzz_init_glib ();
  max_depth = data[0] % (CROSSING_JSON_MAX_DEPTH + 8);
  text = (const char *) data + 1;
  len = size - 1;

  /* As every caller does: UTF-8 first, and json-glib stops at a NUL. */
  if (!g_utf8_validate (text, (gssize) len, NULL) || memchr (text, '\0', len) != NULL ||
      !crossing_json_is_strict (text, len, max_depth))
    return 0;

  parser = json_parser_new ();
  if (!json_parser_load_from_data (parser, text, (gssize) len, &error))
    g_error ("accepted as strict JSON, refused by json-glib: %s", error->message);
  g_assert_nonnull (json_parser_get_root (parser));
  g_assert_cmpuint (depth_of (json_parser_get_root (parser)), <=,
                    MIN (max_depth, CROSSING_JSON_MAX_DEPTH));
  return 0;
}
