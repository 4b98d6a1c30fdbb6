/* test-json.c: what counts as JSON before json-glib sees it
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "crossing-json.h"

typedef struct {
  const char *text;
  gboolean    taken;
} Case;

static void
check (const Case *cases,
       gsize       n,
       guint       max_depth)
{
  for (gsize i = 0; i < n; i++)
    {
      gboolean taken = crossing_json_is_strict (cases[i].text, strlen (cases[i].text), max_depth);

      if (taken != cases[i].taken)
        g_error ("«%s» should %sbe taken", cases[i].text, cases[i].taken ? "" : "not ");
    }
}

static void
test_values (void)
{
  static const Case cases[] = {
    { "{}", TRUE }, { "[]", TRUE }, { " {\"a\" : 1 } \n", TRUE },
    { "{\"kind\":\"login\",\"details\":{\"x\":[1,-2.5e+3,true,false,null,\"\"]}}", TRUE },
    { "\"text\"", TRUE }, { "0", TRUE }, { "-0.0E-0", TRUE }, { "1e999999", TRUE },
    { "\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\"", TRUE },
    { "\"\\ud83d\\ude00\"", TRUE },                 /* a surrogate pair */
    { "", FALSE }, { "   ", FALSE }, { "{", FALSE }, { "}", FALSE }, { "[1,]", FALSE },
    { "{\"a\":1,}", FALSE }, { "{\"a\"}", FALSE }, { "{\"a\" 1}", FALSE }, { "{1:2}", FALSE },
    { "{'a':1}", FALSE }, { "['a']", FALSE },       /* single quotes */
    { "/* c */ {}", FALSE }, { "{} // c", FALSE },  /* comments */
    { "0x10", FALSE }, { "007", FALSE }, { ".5", FALSE }, { "1.", FALSE }, { "+1", FALSE },
    { "1e", FALSE }, { "-", FALSE }, { "NaN", FALSE }, { "Infinity", FALSE },
    { "tru", FALSE }, { "nul", FALSE }, { "True", FALSE },
    { "{} {}", FALSE }, { "[1] [2]", FALSE }, { "1 2", FALSE },   /* several values */
    { "\xef\xbb\xbf{}", FALSE },                    /* a byte order mark */
    { "\"\\x41\"", FALSE }, { "\"\\u12\"", FALSE }, { "\"\\ud83d\"", FALSE },
    { "\"\\ude00\"", FALSE }, { "\"\\ud83d\\u0041\"", FALSE },
    { "\"a\nb\"", FALSE }, { "\"a\tb\"", FALSE },  /* raw control characters */
    { "\"open", FALSE }, { "\"\\\"", FALSE },
  };

  check (cases, G_N_ELEMENTS (cases), CROSSING_JSON_MAX_DEPTH);
}

static void
test_depth (void)
{
  static const Case cases[] = {
    { "[[[]]]", TRUE }, { "[[[[]]]]", FALSE }, { "{\"a\":{\"b\":[]}}", TRUE },
    { "{\"a\":{\"b\":[{}]}}", FALSE }, { "[[],[],[[]]]", TRUE },
    { "\"[[[[[[\"", TRUE },                          /* brackets in a string */
    { "]]][[[", FALSE },
  };
  g_autoptr(GString) deep = g_string_new (NULL);

  check (cases, G_N_ELEMENTS (cases), 3);

  /* Never deeper than the built-in cap, whatever is asked; and a million
   * brackets cost a scan, not a stack. */
  for (guint i = 0; i < CROSSING_JSON_MAX_DEPTH; i++)
    g_string_append_c (deep, '[');
  for (guint i = 0; i < CROSSING_JSON_MAX_DEPTH; i++)
    g_string_append_c (deep, ']');
  g_assert_true (crossing_json_is_strict (deep->str, deep->len, G_MAXUINT));
  g_string_prepend_c (deep, '[');
  g_string_append_c (deep, ']');
  g_assert_false (crossing_json_is_strict (deep->str, deep->len, G_MAXUINT));

  g_string_truncate (deep, 0);
  for (guint i = 0; i < 1000000; i++)
    g_string_append_c (deep, '[');
  g_assert_false (crossing_json_is_strict (deep->str, deep->len, G_MAXUINT));
}

static void
test_length_is_respected (void)
{
  /* Only @len bytes are read: what follows is not part of the text. */
  g_assert_true (crossing_json_is_strict ("{}garbage", 2, 4));
  g_assert_false (crossing_json_is_strict ("{\"a\":1}", 6, 4));
  g_assert_false (crossing_json_is_strict ("\"\\u00", 5, 4));
}

static void
test_members_counted (void)
{
  static const struct {
    const char *text;
    gsize       members;
  } cases[] = {
    { "{}", 0 }, { "[]", 0 }, { "\"a:1\"", 0 }, { "[1,\"b\",null]", 0 },
    { "{\"a\":1}", 1 }, { "{\"a\":1,\"b\":{}}", 2 },
    { "{\"a\":1,\"a\":2}", 2 },                      /* a name written twice counts twice */
    { "{\"a\":{\"b\":{\"c\":[{\"d\":1},{\"d\":2}]}}}", 5 },
    { "[{\"a\":1},[{\"b\":2,\"c\":3}]]", 3 },
    { "{\"a:b\":\"c,d:e\",\"{\\\"f\\\":1}\":\"}\"}", 2 },  /* names and values in strings */
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      gsize members = G_MAXSIZE;

      if (!crossing_json_scan (cases[i].text, strlen (cases[i].text), CROSSING_JSON_MAX_DEPTH,
                               &members))
        g_error ("«%s» should be taken", cases[i].text);
      if (members != cases[i].members)
        g_error ("«%s» has %" G_GSIZE_FORMAT " members, not %" G_GSIZE_FORMAT, cases[i].text,
                 members, cases[i].members);
    }
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/json/values", test_values);
  g_test_add_func ("/json/depth", test_depth);
  g_test_add_func ("/json/length-is-respected", test_length_is_respected);
  g_test_add_func ("/json/members-counted", test_members_counted);

  return g_test_run ();
}
