/* fuzz-json.c: the strict JSON check in front of json-glib
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * crossing_json_is_strict() decides what json-glib may see, on both sides
 * of the wire. Byte 0 picks the depth. Whatever it accepts, json-glib must
 * parse (without leaking: several values in a row would), to one value
 * nested no deeper than that. And the members crossing_json_scan() counts
 * must be the members of the parsed objects exactly when json-glib saw no
 * name twice in one object (how the companion refuses repeated names).
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

static gsize
members_of (JsonNode *node)
{
  gsize n = 0;

  if (JSON_NODE_HOLDS_OBJECT (node))
    {
      JsonObjectIter iter;
      JsonNode *member;

      json_object_iter_init (&iter, json_node_get_object (node));
      while (json_object_iter_next (&iter, NULL, &member))
        n += 1 + members_of (member);
    }
  else if (JSON_NODE_HOLDS_ARRAY (node))
    {
      JsonArray *array = json_node_get_array (node);

      for (guint i = 0; i < json_array_get_length (array); i++)
        n += members_of (json_array_get_element (array, i));
    }
  return n;
}

/* The other way to see a repeated name: json-glib adds each member before
 * it tells, so an object that was told of more members than it holds had
 * one twice. */
typedef struct {
  GHashTable *told;   /* JsonObject -> members told */
  gboolean    repeated;
} Told;

static void
on_object_member (JsonParser *parser,
                  JsonObject *object,
                  const char *name,
                  gpointer    user_data)
{
  Told *told = user_data;
  guint n = GPOINTER_TO_UINT (g_hash_table_lookup (told->told, object)) + 1;

  g_hash_table_insert (told->told, object, GUINT_TO_POINTER (n));
  if (n > json_object_get_size (object))
    told->repeated = TRUE;
}

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  g_autoptr(JsonParser) parser = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) told_objects = g_hash_table_new (NULL, NULL);
  Told told = { told_objects, FALSE };
  const char *text;
  gsize len;
  gsize n_members;
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
  g_assert_true (crossing_json_scan (text, len, max_depth, &n_members));

  parser = json_parser_new ();
  g_signal_connect (parser, "object-member", G_CALLBACK (on_object_member), &told);
  if (!json_parser_load_from_data (parser, text, (gssize) len, &error))
    g_error ("accepted as strict JSON, refused by json-glib: %s", error->message);
  g_assert_nonnull (json_parser_get_root (parser));
  g_assert_cmpuint (depth_of (json_parser_get_root (parser)), <=,
                    MIN (max_depth, CROSSING_JSON_MAX_DEPTH));
  g_assert_cmpuint (members_of (json_parser_get_root (parser)), <=, n_members);
  g_assert_cmpint (members_of (json_parser_get_root (parser)) < n_members, ==, told.repeated);
  return 0;
}
